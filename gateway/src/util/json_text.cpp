#include "util/json_text.hpp"

#include <array>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>

namespace gw::util {

namespace {

template <typename N>
void append_number(std::string& out, N n) {
  std::array<char, 32> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), n);
  out.append(buf.data(), ec == std::errc{} ? end : buf.data());
}

void append(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      return;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case boost::json::kind::int64:
      append_number(out, v.get_int64());
      return;
    case boost::json::kind::uint64:
      append_number(out, v.get_uint64());
      return;
    case boost::json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";
      } else {
        append_number(out, d);  // shortest round trip: "95.1", "0.001", "1e+21"
      }
      return;
    }
    case boost::json::kind::string:
      out += boost::json::serialize(v.get_string());  // quoted and escaped
      return;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append(out, e);
      }
      out += ']';
      return;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(kv.key());
        out += ':';
        append(out, kv.value());
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string json_text(const boost::json::value& v) {
  std::string out;
  append(out, v);
  return out;
}

}  // namespace gw::util
