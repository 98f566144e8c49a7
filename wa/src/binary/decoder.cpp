// Binary node decoder (docs/PROTOCOL.md §3). Every read is bounds-checked; lengths are checked
// against the remaining input before anything is allocated; nesting is bounded by DecodeLimits. The
// strings it produces for JIDs and packed values are the ones Baileys' decodeBinaryNode produces.
#include <zlib.h>

#include <string>

#include "binary/token_tables.hpp"
#include "wa/binary/node.hpp"
#include "wa/constants.hpp"

namespace wa::binary {

namespace tag = constants::tag;

namespace {

// Hot path: every reader returns bool and records the first failure in err_ (no Result<> per byte),
// and strings are appended straight into the Node's own std::string members (no temporaries, JIDs
// assembled in place).
class Decoder {
 public:
  Decoder(std::span<const std::uint8_t> data, const DecodeLimits& limits)
      : d_(data), lim_(limits) {}

  Result<Node> top() {
    Node n;
    if (!node(0, n)) return std::move(err_);
    if (pos_ != d_.size()) {
      return {Errc::node_trailing_bytes,
              std::to_string(d_.size() - pos_) + " bytes after the node"};
    }
    return n;
  }

 private:
  bool fail(Errc code, std::string detail = {}) {
    err_ = Error{code, std::move(detail)};
    return false;
  }
  std::size_t left() const noexcept { return d_.size() - pos_; }

  bool byte(std::uint8_t& out) {
    if (pos_ >= d_.size()) return fail(Errc::node_eof);
    out = d_[pos_++];
    return true;
  }
  bool uint_be(std::size_t n, std::size_t& out) {
    if (left() < n) return fail(Errc::node_eof);
    std::size_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | d_[pos_++];
    out = v;
    return true;
  }
  bool int20(std::size_t& out) {
    if (left() < 3) return fail(Errc::node_eof);
    out = (std::size_t{d_[pos_]} & 0x0F) << 16 | std::size_t{d_[pos_ + 1]} << 8 | d_[pos_ + 2];
    pos_ += 3;
    return true;
  }
  bool take(std::size_t n, std::span<const std::uint8_t>& out) {
    if (left() < n) return fail(Errc::node_eof, "length " + std::to_string(n) + " exceeds input");
    out = d_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

  // Length of a BINARY_* string/byte run whose tag was just read.
  bool binary_length(std::uint8_t t, std::size_t& out) {
    if (t == tag::kBinary8) {
      if (pos_ >= d_.size()) return fail(Errc::node_eof);
      out = d_[pos_++];
      return true;
    }
    if (t == tag::kBinary20) return int20(out);
    return uint_be(4, out);
  }

  static bool is_list(std::uint8_t t) {
    return t == tag::kListEmpty || t == tag::kList8 || t == tag::kList16;
  }

  bool list_size(std::uint8_t t, std::size_t& out) {
    switch (t) {
      case tag::kListEmpty:
        out = 0;
        return true;
      case tag::kList8:
        if (pos_ >= d_.size()) return fail(Errc::node_eof);
        out = d_[pos_++];
        return true;
      case tag::kList16:
        return uint_be(2, out);
      default:
        return fail(Errc::node_invalid_tag, "expected a list, got " + std::to_string(t));
    }
  }

  // NIBBLE_8 / HEX_8, appended to out. Nibbles 12..14 are invalid in NIBBLE_8; 15 is a NUL pad.
  bool packed(std::uint8_t t, std::string& out) {
    static constexpr char kNibble[16] = {'0', '1', '2', '3', '4', '5', '6', '7',
                                         '8', '9', '-', '.', '?', '?', '?', '\0'};
    static constexpr char kHex[16] = {'0', '1', '2', '3', '4', '5', '6', '7',
                                      '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    std::uint8_t start = 0;
    if (!byte(start)) return false;
    const std::size_t n = start & 0x7F;
    if (left() < n) return fail(Errc::node_eof);
    const bool hex = t == tag::kHex8;
    const char* table = hex ? kHex : kNibble;
    const std::size_t base = out.size();
    out.resize(base + 2 * n);
    char* p = out.data() + base;
    unsigned bad = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const unsigned b = d_[pos_ + i];
      const unsigned hi = b >> 4, lo = b & 0x0F;
      bad |= static_cast<unsigned>(hi - 12u < 3u) | static_cast<unsigned>(lo - 12u < 3u);
      p[2 * i] = table[hi];
      p[2 * i + 1] = table[lo];
    }
    pos_ += n;
    if (!hex && bad) return fail(Errc::node_invalid_packed, "invalid nibble");
    if ((start & 0x80) && n != 0) out.pop_back();
    return true;
  }

  bool sub_string(std::size_t depth, std::string& out) {
    std::uint8_t t = 0;
    return byte(t) && string(t, depth + 1, out);
  }

  static void append_server_of_domain(std::uint8_t domain, std::string& out) {
    std::string_view server = constants::server::kUser;
    if (domain == constants::domain::kLid) server = constants::server::kLid;
    if (domain == constants::domain::kHosted) server = constants::server::kHosted;
    if (domain == constants::domain::kHostedLid) server = constants::server::kHostedLid;
    out += server;
  }

  // Decodes the string with tag t and appends it to out.
  bool string(std::uint8_t t, std::size_t depth, std::string& out) {
    if (depth > lim_.max_string_depth) return fail(Errc::node_too_deep, "nested JIDs");
    if (t >= 1 && t < detail::kSingleByteTokens.size()) {
      out += detail::kSingleByteTokens[t];
      return true;
    }
    switch (t) {
      case tag::kListEmpty:
        return true;
      case tag::kDictionary0:
      case tag::kDictionary0 + 1:
      case tag::kDictionary0 + 2:
      case tag::kDictionary3: {
        std::uint8_t i = 0;
        if (!byte(i)) return false;
        out += detail::kDoubleByteTokens[t - tag::kDictionary0][i];
        return true;
      }
      case tag::kBinary8:
      case tag::kBinary20:
      case tag::kBinary32: {
        std::size_t n = 0;
        std::span<const std::uint8_t> bytes;
        if (!binary_length(t, n) || !take(n, bytes)) return false;
        out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        return true;
      }
      case tag::kJidPair: {
        if (!sub_string(depth, out)) return false;
        out += '@';
        const std::size_t at = out.size();
        if (!sub_string(depth, out)) return false;
        if (out.size() == at) return fail(Errc::node_invalid_jid, "JID pair without server");
        return true;
      }
      case tag::kAdJid: {
        std::uint8_t domain = 0, device = 0;
        if (!byte(domain) || !byte(device) || !sub_string(depth, out)) return false;
        if (device != 0) {
          out += ':';
          out += std::to_string(device);
        }
        out += '@';
        append_server_of_domain(domain, out);
        return true;
      }
      case tag::kFbJid: {
        std::size_t device = 0;
        if (!sub_string(depth, out) || !uint_be(2, device)) return false;
        out += ':';
        out += std::to_string(device);
        out += '@';
        return sub_string(depth, out);
      }
      case tag::kInteropJid: {
        std::string user;
        std::size_t device = 0, integrator = 0;
        if (!sub_string(depth, user) || !uint_be(2, device) || !uint_be(2, integrator))
          return false;
        // The server string is optional: on any failure the reader rewinds and assumes "interop".
        const std::size_t before = pos_;
        std::string server;
        if (!sub_string(depth, server)) {
          pos_ = before;
          err_ = Error{};
          server = constants::server::kInterop;
        }
        out += std::to_string(integrator);
        out += '-';
        out += user;
        out += ':';
        out += std::to_string(device);
        out += '@';
        out += server;
        return true;
      }
      case tag::kHex8:
      case tag::kNibble8:
        return packed(t, out);
      default:
        return fail(Errc::node_invalid_tag, "invalid string tag " + std::to_string(t));
    }
  }

  bool node(std::size_t depth, Node& n) {
    if (depth > lim_.max_depth)
      return fail(Errc::node_too_deep, "nodes nested deeper than the limit");
    std::uint8_t lt = 0, t = 0;
    std::size_t size = 0;
    if (!byte(lt) || !list_size(lt, size)) return false;
    if (size == 0) return fail(Errc::node_invalid, "empty node list");
    if (!byte(t) || !string(t, 0, n.tag)) return false;
    if (n.tag.empty()) return fail(Errc::node_invalid, "empty tag");
    const std::size_t nattrs = (size - 1) / 2;
    n.attrs.reserve(std::min<std::size_t>(nattrs, left() / 2));
    for (std::size_t i = 0; i < nattrs; ++i) {
      auto& kv = n.attrs.emplace_back();
      std::uint8_t kt = 0, vt = 0;
      if (!byte(kt) || !string(kt, 0, kv.first) || !byte(vt) || !string(vt, 0, kv.second))
        return false;
    }
    if (size % 2 == 1) return true;
    std::uint8_t ct = 0;
    if (!byte(ct)) return false;
    if (is_list(ct)) {
      std::size_t count = 0;
      if (!list_size(ct, count)) return false;
      auto& kids = n.content.emplace<std::vector<Node>>();
      // Each child takes at least two bytes: never reserve more than the input can hold.
      kids.reserve(std::min<std::size_t>(count, left() / 2));
      for (std::size_t i = 0; i < count; ++i)
        if (!node(depth + 1, kids.emplace_back())) return false;
    } else if (ct == tag::kBinary8 || ct == tag::kBinary20 || ct == tag::kBinary32) {
      std::size_t len = 0;
      std::span<const std::uint8_t> bytes;
      if (!binary_length(ct, len) || !take(len, bytes)) return false;
      n.content.emplace<Bytes>(bytes.begin(), bytes.end());
    } else {
      return string(ct, 0, n.content.emplace<std::string>());
    }
    return true;
  }

  std::span<const std::uint8_t> d_;
  const DecodeLimits& lim_;
  std::size_t pos_ = 0;
  Error err_;
};

Result<Bytes> inflate_bounded(std::span<const std::uint8_t> in, std::size_t max_out) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return {Errc::node_decompress, "inflateInit failed"};
  Bytes out;
  zs.next_in = const_cast<Bytef*>(in.data());  // zlib's API is not const-correct
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  std::uint8_t chunk[16384];
  while (rc != Z_STREAM_END) {
    zs.next_out = chunk;
    zs.avail_out = sizeof chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return {Errc::node_decompress, zs.msg ? zs.msg : "corrupt or truncated zlib stream"};
    }
    const std::size_t got = sizeof chunk - zs.avail_out;
    if (out.size() + got > max_out) {
      inflateEnd(&zs);
      return {Errc::node_decompress, "inflated size exceeds the limit"};
    }
    out.insert(out.end(), chunk, chunk + got);
    if (rc == Z_OK && got == 0 && zs.avail_in == 0) {
      inflateEnd(&zs);
      return {Errc::node_decompress, "truncated zlib stream"};
    }
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace

Result<Node> decode_raw(std::span<const std::uint8_t> data, const DecodeLimits& limits) {
  return Decoder(data, limits).top();
}

Result<Node> decode(std::span<const std::uint8_t> payload, const DecodeLimits& limits) {
  if (payload.empty()) return {Errc::node_eof, "empty payload"};
  if (payload[0] & constants::kFlagCompressed) {
    auto inflated = inflate_bounded(payload.subspan(1), limits.max_inflated);
    if (!inflated) return inflated.error();
    return decode_raw(*inflated, limits);
  }
  return decode_raw(payload.subspan(1), limits);
}

}  // namespace wa::binary
