#pragma once
// Binary XML nodes ("stanzas") and their wire codec (docs/PROTOCOL.md §3).
//
// A node is a tag, ordered string attributes and optional content: child nodes, text or raw bytes.
// The encoder picks string encodings in the order of the reference implementations (token,
// double-byte token, NIBBLE_8, HEX_8, JID, raw bytes), so its output is byte-identical with
// Baileys' encodeBinaryNode for the same node. Attribute values are strings; a JID is written in
// its string form (wa::Jid::to_string) and encoded as JID_PAIR / AD_JID the way Baileys does.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "wa/error.hpp"

namespace wa::binary {

using Bytes = std::vector<std::uint8_t>;

struct Node;
using Attrs = std::vector<std::pair<std::string, std::string>>;
/// No content, child nodes, text (any non-BINARY string encoding) or bytes (BINARY_* on the wire).
using Content = std::variant<std::monostate, std::vector<Node>, std::string, Bytes>;

/// One binary XML node. A plain value type.
struct Node {
  std::string tag;
  Attrs attrs;
  Content content;

  /// The value of attribute `key` (the last one if repeated), or nullptr.
  const std::string* attr(std::string_view key) const;
  /// Child nodes (empty if the content is not a list).
  std::span<const Node> children() const;
  /// The first child with this tag, or nullptr.
  const Node* child(std::string_view child_tag) const;
  /// Text or bytes content as a byte view (empty for none or children).
  std::string_view content_view() const;

  friend bool operator==(const Node&, const Node&) = default;
};

/// Limits that bound the decoder's work on untrusted input.
struct DecodeLimits {
  std::size_t max_depth = 128;           ///< nested child lists
  std::size_t max_string_depth = 16;     ///< nested JID pairs inside one string
  std::size_t max_inflated = 64u << 20;  ///< decompressed size of a flag&2 payload
};

/// Encodes a node without the flag byte, appending to `out`.
Result<void> encode_into(Bytes& out, const Node& node);
/// Encodes a node as a transport payload: flag byte 0x00 then the node (= Baileys
/// encodeBinaryNode).
Result<Bytes> encode(const Node& node);

/// Decodes one node from uncompressed bytes (no flag byte). Trailing bytes are an error.
Result<Node> decode_raw(std::span<const std::uint8_t> data, const DecodeLimits& limits = {});
/// Decodes a transport payload: a flag byte, then the node, zlib-inflated when flag & 2.
Result<Node> decode(std::span<const std::uint8_t> payload, const DecodeLimits& limits = {});

/// A readable one-line XML-ish rendering for logs (`<iq id="1" type="get"><ping/></iq>`).
std::string to_debug_string(const Node& node);

}  // namespace wa::binary
