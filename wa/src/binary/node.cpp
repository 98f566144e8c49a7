#include "wa/binary/node.hpp"

#include <algorithm>
#include <cstdio>

#include "wa/hex.hpp"

namespace wa::binary {

const std::string* Node::attr(std::string_view key) const {
  const std::string* found = nullptr;
  for (const auto& [k, v] : attrs) {
    if (k == key) found = &v;
  }
  return found;
}

std::span<const Node> Node::children() const {
  if (const auto* kids = std::get_if<std::vector<Node>>(&content)) return *kids;
  return {};
}

const Node* Node::child(std::string_view child_tag) const {
  for (const auto& k : children()) {
    if (k.tag == child_tag) return &k;
  }
  return nullptr;
}

std::string_view Node::content_view() const {
  if (const auto* s = std::get_if<std::string>(&content)) return *s;
  if (const auto* b = std::get_if<Bytes>(&content)) {
    return {reinterpret_cast<const char*>(b->data()), b->size()};
  }
  return {};
}

namespace {
void append_escaped(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
}

void render(std::string& out, const Node& n) {
  out += '<';
  append_escaped(out, n.tag);
  for (const auto& [k, v] : n.attrs) {
    out += ' ';
    append_escaped(out, k);
    out += "=\"";
    append_escaped(out, v);
    out += '"';
  }
  if (std::holds_alternative<std::monostate>(n.content)) {
    out += "/>";
    return;
  }
  out += '>';
  if (const auto* text = std::get_if<std::string>(&n.content)) {
    append_escaped(out, *text);
  } else if (const auto* bytes = std::get_if<Bytes>(&n.content)) {
    out += "<!-- ";
    out += std::to_string(bytes->size());
    out += " bytes: ";
    for (std::size_t i = 0; i < std::min<std::size_t>(bytes->size(), 32); ++i) {
      wa::hex::append(out, (*bytes)[i]);
    }
    out += bytes->size() > 32 ? "… -->" : " -->";
  } else {
    for (const auto& k : n.children()) render(out, k);
  }
  out += "</";
  append_escaped(out, n.tag);
  out += '>';
}
}  // namespace

std::string to_debug_string(const Node& node) {
  std::string out;
  render(out, node);
  return out;
}

}  // namespace wa::binary
