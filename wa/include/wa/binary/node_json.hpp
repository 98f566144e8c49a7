#pragma once
// The JSON form of a node used by wa-tool and the conformance tests:
//   {"tag": string, "attrs": {string: string}, "content": null | [node, ...] | string | {"hex":
//   "..."}}
// It mirrors what Baileys' decodeBinaryNode returns when printed as JSON: bytes content as {"hex"},
// text as a string (binary strings decoded as UTF-8 with U+FFFD for invalid sequences, as Node's
// Buffer.toString does), attributes in JavaScript object key order (integer-like keys first,
// ascending; a repeated key keeps its first position and its last value).
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "wa/binary/node.hpp"
#include "wa/error.hpp"

namespace wa::binary {

/// Parses one node from JSON text. Attributes are put in JavaScript key order (so encoding gives
/// the bytes Baileys gives for JSON.parse of the same text); children with an empty tag are
/// dropped, as Baileys' encoder drops them.
Result<Node> parse_node_json(std::string_view json_text);
Result<Node> node_from_json(const boost::json::value& v);

boost::json::value node_to_json(const Node& node);
/// One line of JSON.
std::string node_to_json_string(const Node& node);

/// Bytes decoded as UTF-8 the WHATWG way (each maximal invalid subpart becomes U+FFFD).
std::string utf8_sanitize(std::string_view bytes);

}  // namespace wa::binary
