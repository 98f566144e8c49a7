// Binary node encoder (docs/PROTOCOL.md §3.1-§3.3). The choice and order of string encodings follow
// Baileys' encodeBinaryNode exactly, including how it splits a string containing '@' into a JID, so
// that our bytes equal its bytes for every node.
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "binary/token_tables.hpp"
#include "wa/binary/node.hpp"
#include "wa/constants.hpp"

namespace wa::binary {

namespace tag = constants::tag;

namespace {

struct TokenRef {
  std::int16_t dict;  // -1 for single-byte tokens
  std::uint8_t index;
};

// Longest token: longer strings skip the hash lookup.
std::size_t max_token_length() {
  static const std::size_t n = [] {
    std::size_t m = 0;
    for (auto t : detail::kSingleByteTokens) m = std::max(m, t.size());
    for (const auto& d : detail::kDoubleByteTokens) {
      for (auto t : d) m = std::max(m, t.size());
    }
    return m;
  }();
  return n;
}

// String -> token, as an open-addressing table with an inlined FNV-1a hash: the lookup runs for
// every string the encoder writes, and std::unordered_map's out-of-line hashing dominated it.
// The first occurrence of a string wins (single-byte tokens, then dictionaries 0..3 in order).
class TokenIndex {
 public:
  TokenIndex() {
    for (std::size_t i = 1; i < detail::kSingleByteTokens.size(); ++i) {
      insert(detail::kSingleByteTokens[i], TokenRef{-1, static_cast<std::uint8_t>(i)});
    }
    for (std::size_t d = 0; d < detail::kDoubleByteTokens.size(); ++d) {
      for (std::size_t i = 0; i < detail::kDoubleByteTokens[d].size(); ++i) {
        insert(detail::kDoubleByteTokens[d][i],
               TokenRef{static_cast<std::int16_t>(d), static_cast<std::uint8_t>(i)});
      }
    }
  }
  const TokenRef* find(std::string_view s) const noexcept {
    const std::uint32_t h = hash(s);
    for (std::size_t i = h & kMask;; i = (i + 1) & kMask) {
      const Slot& slot = slots_[i];
      if (slot.key.data() == nullptr) return nullptr;
      if (slot.hash == h && slot.key == s) return &slot.ref;
    }
  }

 private:
  static constexpr std::size_t kSize = 4096;  // > 3x the ~1260 tokens: short probe sequences
  static constexpr std::size_t kMask = kSize - 1;
  struct Slot {
    std::string_view key;  // data() == nullptr: empty slot
    std::uint32_t hash = 0;
    TokenRef ref{};
  };
  static std::uint32_t hash(std::string_view s) noexcept {
    std::uint32_t h = 2166136261u;
    for (char c : s) h = (h ^ static_cast<std::uint8_t>(c)) * 16777619u;
    return h;
  }
  void insert(std::string_view key, TokenRef ref) {
    if (find(key)) return;
    const std::uint32_t h = hash(key);
    std::size_t i = h & kMask;
    while (slots_[i].key.data() != nullptr) i = (i + 1) & kMask;
    slots_[i] = Slot{key, h, ref};
  }
  std::array<Slot, kSize> slots_{};
};

const TokenIndex& token_index() {
  static const TokenIndex* const index = new TokenIndex();  // never destroyed: used until exit
  return *index;
}

// --- JavaScript number semantics used by Baileys' jidDecode (device = +str, agent = parseInt) ----
// Only the low byte of the result reaches the wire (`value & 0xff` after ToInt32; NaN -> 0).

bool is_js_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::uint8_t low_byte(double v) {
  if (!std::isfinite(v)) return 0;
  double m = std::fmod(std::trunc(v), 256.0);
  if (m < 0) m += 256.0;
  return static_cast<std::uint8_t>(m);
}

double parse_radix(std::string_view digits, int radix) {
  double v = 0;
  for (char c : digits) v = v * radix + (c - '0');
  return v;
}

// Number(str): whitespace-trimmed decimal / 0x / 0o / 0b literal or Infinity; otherwise NaN.
double js_number(std::string_view s) {
  while (!s.empty() && is_js_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_js_space(s.back())) s.remove_suffix(1);
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0') {
    const char p = static_cast<char>(s[1] | 0x20);
    const int radix = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (radix != 0) {
      const std::string_view digits = s.substr(2);
      for (char c : digits) {
        const int d = (c >= '0' && c <= '9')                     ? c - '0'
                      : ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') ? (c | 0x20) - 'a' + 10
                                                                 : 99;
        if (d >= radix) return NAN;
      }
      if (radix == 16) return std::strtod(std::string("0x").append(digits).c_str(), nullptr);
      return parse_radix(digits, radix);
    }
  }
  std::size_t i = 0;
  bool neg = false;
  if (s[i] == '+' || s[i] == '-') neg = s[i++] == '-';
  if (s.substr(i) == "Infinity")
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  std::size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return NAN;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return NAN;
  }
  if (i != s.size()) return NAN;
  return std::strtod(std::string(s).c_str(), nullptr);
}

// parseInt(str) with no radix: leading whitespace, sign, optional 0x, longest digit prefix.
double js_parse_int(std::string_view s) {
  while (!s.empty() && is_js_space(s.front())) s.remove_prefix(1);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  double v = 0;
  if (s.size() >= 2 && s[0] == '0' && (s[1] | 0x20) == 'x') {
    s.remove_prefix(2);
    std::size_t n = 0;
    while (n < s.size() && std::isxdigit(static_cast<unsigned char>(s[n]))) ++n;
    if (n == 0) return NAN;
    v = std::strtod(std::string("0x").append(s.substr(0, n)).c_str(), nullptr);
  } else {
    std::size_t n = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
    if (n == 0) return NAN;
    v = std::strtod(std::string(s.substr(0, n)).c_str(), nullptr);
  }
  return neg ? -v : v;
}

// The segment of s after the first `sep`, up to the next `sep` (String.split semantics, index 1).
std::string_view second_part(std::string_view s, char sep, std::string_view& first) {
  const auto p = s.find(sep);
  if (p == std::string_view::npos) {
    first = s;
    return {};
  }
  first = s.substr(0, p);
  std::string_view rest = s.substr(p + 1);
  return rest.substr(0, rest.find(sep));
}

class Encoder {
 public:
  explicit Encoder(Bytes& out) : out_(out) {}

  Result<void> node(const Node& n) {
    if (n.tag.empty()) return {Errc::node_encode, "empty tag"};
    const bool has_content = !std::holds_alternative<std::monostate>(n.content);
    if (auto r = list_start(2 * n.attrs.size() + 1 + (has_content ? 1 : 0)); !r) return r;
    if (auto r = string(n.tag); !r) return r;
    for (const auto& [k, v] : n.attrs) {
      if (auto r = string(k); !r) return r;
      if (auto r = string(v); !r) return r;
    }
    if (const auto* text = std::get_if<std::string>(&n.content)) return string(*text);
    if (const auto* bytes = std::get_if<Bytes>(&n.content)) {
      if (auto r = byte_length(bytes->size()); !r) return r;
      out_.insert(out_.end(), bytes->begin(), bytes->end());
      return {};
    }
    if (const auto* kids = std::get_if<std::vector<Node>>(&n.content)) {
      if (auto r = list_start(kids->size()); !r) return r;
      for (const auto& k : *kids) {
        if (auto r = node(k); !r) return r;
      }
    }
    return {};
  }

 private:
  void push(std::uint8_t b) { out_.push_back(b); }

  Result<void> list_start(std::size_t n) {
    if (n == 0) {
      push(tag::kListEmpty);
    } else if (n < 256) {
      push(tag::kList8);
      push(static_cast<std::uint8_t>(n));
    } else if (n <= 0xFFFF) {
      push(tag::kList16);
      push(static_cast<std::uint8_t>(n >> 8));
      push(static_cast<std::uint8_t>(n));
    } else {
      return {Errc::node_encode, "list of " + std::to_string(n) + " items"};
    }
    return {};
  }

  Result<void> byte_length(std::size_t n) {
    if (n >= (std::size_t{1} << 32)) return {Errc::node_encode, "string too large"};
    if (n >= (std::size_t{1} << 20)) {
      push(tag::kBinary32);
      for (int s = 24; s >= 0; s -= 8) push(static_cast<std::uint8_t>(n >> s));
    } else if (n >= 256) {
      push(tag::kBinary20);
      push(static_cast<std::uint8_t>((n >> 16) & 0x0F));
      push(static_cast<std::uint8_t>(n >> 8));
      push(static_cast<std::uint8_t>(n));
    } else {
      push(tag::kBinary8);
      push(static_cast<std::uint8_t>(n));
    }
    return {};
  }

  Result<void> raw(std::string_view s) {
    if (auto r = byte_length(s.size()); !r) return r;
    out_.insert(out_.end(), s.begin(), s.end());
    return {};
  }

  static bool is_nibble(std::string_view s) {
    if (s.empty() || s.size() > constants::kPackedMax) return false;
    for (char c : s) {
      if (!((c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
    }
    return true;
  }
  static bool is_hex(std::string_view s) {
    if (s.empty() || s.size() > constants::kPackedMax) return false;
    for (char c : s) {
      if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
    }
    return true;
  }
  static std::uint8_t nibble(char c) {
    if (c == '-') return 10;
    if (c == '.') return 11;
    return static_cast<std::uint8_t>(c - '0');
  }
  static std::uint8_t hex(char c) {
    return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'A' + 10);
  }

  void packed(std::string_view s, bool is_nib) {
    push(is_nib ? tag::kNibble8 : tag::kHex8);
    const auto len = s.size();
    push(static_cast<std::uint8_t>(((len + 1) / 2) | (len % 2 ? 0x80 : 0)));
    auto val = [&](char c) { return is_nib ? nibble(c) : hex(c); };
    for (std::size_t i = 0; i + 1 < len; i += 2) {
      push(static_cast<std::uint8_t>((val(s[i]) << 4) | val(s[i + 1])));
    }
    if (len % 2) push(static_cast<std::uint8_t>((val(s[len - 1]) << 4) | 0x0F));
  }

  // Encodings tried before a JID: token, nibble, hex. Returns false if none applies.
  bool compact(std::string_view s) {
    if (const TokenRef* t = s.size() <= max_token_length() ? token_index().find(s) : nullptr) {
      if (t->dict >= 0) push(static_cast<std::uint8_t>(tag::kDictionary0 + t->dict));
      push(t->index);
      return true;
    }
    if (is_nibble(s)) {
      packed(s, true);
      return true;
    }
    if (is_hex(s)) {
      packed(s, false);
      return true;
    }
    return false;
  }

  Result<void> string(std::string_view s) {
    if (s.empty()) return raw(s);
    if (compact(s)) return {};
    if (s.find('@') != std::string_view::npos) return jid(s);
    return raw(s);
  }

  // A string containing '@', split the way Baileys' jidDecode does. A server part that itself holds
  // '@' is again a JID; that chain is walked iteratively so no input can exhaust the stack.
  Result<void> jid(std::string_view s) {
    for (;;) {
      const auto at = s.find('@');
      const std::string_view server = s.substr(at + 1);
      std::string_view user_agent, user;
      const std::string_view device = second_part(s.substr(0, at), ':', user_agent);
      const std::string_view agent = second_part(user_agent, '_', user);
      if (!device.empty()) {
        std::uint8_t domain = constants::domain::kWhatsApp;
        if (server == constants::server::kLid) {
          domain = constants::domain::kLid;
        } else if (server == constants::server::kHosted) {
          domain = constants::domain::kHosted;
        } else if (server == constants::server::kHostedLid) {
          domain = constants::domain::kHostedLid;
        } else if (!agent.empty()) {
          domain = low_byte(js_parse_int(agent));
        }
        push(tag::kAdJid);
        push(domain);
        push(low_byte(js_number(device)));
        return string(user);  // user holds no '@', so no further recursion
      }
      push(tag::kJidPair);
      if (user.empty()) {
        push(tag::kListEmpty);
      } else if (auto r = string(user); !r) {
        return r;
      }
      if (server.empty()) return raw(server);
      if (compact(server)) return {};
      if (server.find('@') == std::string_view::npos) return raw(server);
      s = server;
    }
  }

  Bytes& out_;
};

}  // namespace

Result<void> encode_into(Bytes& out, const Node& node) {
  return Encoder(out).node(node);
}

Result<Bytes> encode(const Node& node) {
  Bytes out;
  out.reserve(64);
  out.push_back(0);
  if (auto r = encode_into(out, node); !r) return r.error();
  return out;
}

}  // namespace wa::binary
