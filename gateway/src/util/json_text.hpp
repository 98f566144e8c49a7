#pragma once
// JSON text for the gateway's answers: as boost::json::serialize, except that a double is written
// as people write numbers (95.1, not 9.51E1; the shortest text that reads back as the same
// double) and a NaN or infinity, which JSON cannot hold, as null.
#include <boost/json/value.hpp>
#include <string>

namespace gw::util {

std::string json_text(const boost::json::value& v);

}  // namespace gw::util
