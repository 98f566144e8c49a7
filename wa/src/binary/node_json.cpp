#include "wa/binary/node_json.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <optional>

#include "wa/hex.hpp"

namespace wa::binary {

namespace json = boost::json;

namespace {

// JavaScript "array index" property names: canonical decimal integers below 2^32-1.
std::optional<std::uint32_t> array_index(std::string_view k) {
  if (k.empty() || k.size() > 10) return std::nullopt;
  if (k.size() > 1 && k[0] == '0') return std::nullopt;
  std::uint64_t v = 0;
  for (char c : k) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v >= 0xFFFFFFFFull) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

// Orders attributes the way a JavaScript object enumerates its keys.
Attrs js_key_order(Attrs in) {
  Attrs merged;
  for (auto& kv : in) {
    const std::string& key = kv.first;
    auto it =
        std::find_if(merged.begin(), merged.end(), [&](const auto& p) { return p.first == key; });
    if (it != merged.end()) {
      it->second = std::move(kv.second);
    } else {
      merged.push_back(std::move(kv));
    }
  }
  std::stable_partition(merged.begin(), merged.end(),
                        [](const auto& p) { return array_index(p.first).has_value(); });
  const auto idx_end = std::find_if(merged.begin(), merged.end(), [](const auto& p) {
    return !array_index(p.first).has_value();
  });
  std::stable_sort(merged.begin(), idx_end, [](const auto& a, const auto& b) {
    return *array_index(a.first) < *array_index(b.first);
  });
  return merged;
}

Result<Node> from_value(const json::value& v) {
  const auto* obj = v.if_object();
  if (!obj) return {Errc::invalid_argument, "node is not a JSON object"};
  Node n;
  const auto* tag = obj->if_contains("tag");
  if (!tag || !tag->is_string()) return {Errc::invalid_argument, "node has no string \"tag\""};
  n.tag = std::string(tag->get_string());
  if (const auto* attrs = obj->if_contains("attrs"); attrs && !attrs->is_null()) {
    if (!attrs->is_object()) return {Errc::invalid_argument, "\"attrs\" is not an object"};
    Attrs a;
    for (const auto& kv : attrs->get_object()) {
      if (kv.value().is_null()) continue;  // Baileys skips null/undefined values
      if (!kv.value().is_string())
        return {Errc::invalid_argument, "attribute value is not a string"};
      a.emplace_back(std::string(kv.key()), std::string(kv.value().get_string()));
    }
    n.attrs = js_key_order(std::move(a));
  }
  const auto* content = obj->if_contains("content");
  if (!content || content->is_null()) return n;
  if (content->is_string()) {
    n.content = std::string(content->get_string());
  } else if (content->is_array()) {
    std::vector<Node> kids;
    for (const auto& k : content->get_array()) {
      auto child = from_value(k);
      if (!child) return child;
      if (child->tag.empty()) continue;
      kids.push_back(std::move(*child));
    }
    n.content = std::move(kids);
  } else if (const auto* hobj = content->if_object()) {
    const auto* hex = hobj->if_contains("hex");
    if (!hex || !hex->is_string())
      return {Errc::invalid_argument, "content object without \"hex\""};
    const auto& h = hex->get_string();
    if (h.size() % 2) return {Errc::invalid_argument, "odd hex length"};
    Bytes b(h.size() / 2);
    for (std::size_t i = 0; i < b.size(); ++i) {
      const int hi = wa::hex::digit_value(h[2 * i]), lo = wa::hex::digit_value(h[2 * i + 1]);
      if (hi < 0 || lo < 0) return {Errc::invalid_argument, "bad hex digit"};
      b[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    n.content = std::move(b);
  } else {
    return {Errc::invalid_argument, "unsupported content type"};
  }
  return n;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string utf8_sanitize(std::string_view bytes) {
  constexpr std::uint32_t kReplacement = 0xFFFD;
  std::string out;
  out.reserve(bytes.size());
  std::uint32_t cp = 0;
  int needed = 0, seen = 0;
  std::uint8_t lower = 0x80, upper = 0xBF;
  for (std::size_t i = 0; i < bytes.size();) {
    const auto b = static_cast<std::uint8_t>(bytes[i]);
    if (needed == 0) {
      ++i;
      if (b <= 0x7F) {
        out += static_cast<char>(b);
      } else if (b >= 0xC2 && b <= 0xDF) {
        needed = 1;
        cp = b & 0x1F;
      } else if (b >= 0xE0 && b <= 0xEF) {
        if (b == 0xE0) lower = 0xA0;
        if (b == 0xED) upper = 0x9F;
        needed = 2;
        cp = b & 0x0F;
      } else if (b >= 0xF0 && b <= 0xF4) {
        if (b == 0xF0) lower = 0x90;
        if (b == 0xF4) upper = 0x8F;
        needed = 3;
        cp = b & 0x07;
      } else {
        append_utf8(out, kReplacement);
      }
      continue;
    }
    if (b < lower || b > upper) {
      // The sequence is cut short: emit one replacement and reprocess this byte.
      cp = 0;
      needed = seen = 0;
      lower = 0x80;
      upper = 0xBF;
      append_utf8(out, kReplacement);
      continue;
    }
    ++i;
    lower = 0x80;
    upper = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
    if (++seen == needed) {
      append_utf8(out, cp);
      cp = 0;
      needed = seen = 0;
    }
  }
  if (needed != 0) append_utf8(out, kReplacement);
  return out;
}

Result<Node> node_from_json(const json::value& v) {
  return from_value(v);
}

Result<Node> parse_node_json(std::string_view text) {
  json::parse_options opt;
  opt.max_depth = 1024;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, opt);
  if (ec) return {Errc::invalid_argument, "bad JSON: " + ec.message()};
  return from_value(v);
}

json::value node_to_json(const Node& n) {
  json::object o;
  o["tag"] = utf8_sanitize(n.tag);
  json::object attrs;
  Attrs a;
  a.reserve(n.attrs.size());
  for (const auto& [k, v] : n.attrs) a.emplace_back(utf8_sanitize(k), utf8_sanitize(v));
  for (auto& [k, v] : js_key_order(std::move(a))) attrs[k] = v;
  o["attrs"] = std::move(attrs);
  if (const auto* text = std::get_if<std::string>(&n.content)) {
    o["content"] = utf8_sanitize(*text);
  } else if (const auto* bytes = std::get_if<Bytes>(&n.content)) {
    o["content"] = json::object{{"hex", wa::hex::encode(*bytes)}};
  } else if (const auto* kids = std::get_if<std::vector<Node>>(&n.content)) {
    json::array arr;
    arr.reserve(kids->size());
    for (const auto& k : *kids) arr.push_back(node_to_json(k));
    o["content"] = std::move(arr);
  } else {
    o["content"] = nullptr;
  }
  return o;
}

std::string node_to_json_string(const Node& node) {
  return json::serialize(node_to_json(node));
}

}  // namespace wa::binary
