// Fuzzes what a media download brings from outside: the Range header (media/range.hpp) and the
// exp/sig query parameters (media/signing.hpp). Input: the first two bytes pick a file size, the
// rest, split at the first '\n', is the Range header and then "exp&sig".
// Invariants: no crash; a partial range lies inside the file with first <= last; a range that
// covers the whole file parses the same from its own canonical spelling; garbage never verifies.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "media/range.hpp"
#include "media/signing.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint64_t file_size = (std::uint64_t{data[0]} << 8) | data[1];
  std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);
  const auto nl = in.find('\n');
  const std::string_view header = in.substr(0, nl);

  const auto r = gw::media::parse_range(header, file_size);
  if (r.kind == gw::media::RangeRequest::Kind::partial) {
    check(r.first <= r.last && r.last < file_size);
    const std::string canonical = "bytes=" + std::to_string(r.first) + "-" + std::to_string(r.last);
    const auto again = gw::media::parse_range(canonical, file_size);
    check(again.kind == r.kind && again.first == r.first && again.last == r.last);
  }

  if (nl != std::string_view::npos) {
    const std::string_view rest = in.substr(nl + 1);
    const auto amp = rest.find('&');
    const std::string exp(rest.substr(0, amp));
    const std::string sig(amp == std::string_view::npos ? std::string_view()
                                                        : rest.substr(amp + 1));
    static const gw::media::UrlSigner signer(gw::media::UrlSigner::derive_key("fuzz"), "");
    const std::string id = "0123456789abcdef0123456789abcdef";
    const auto verdict = signer.verify(id, exp, sig, 1'800'000'000);
    // Only the signer's own output verifies; random bytes forging an HMAC would be a miracle.
    if (verdict == gw::media::SignatureCheck::ok || verdict == gw::media::SignatureCheck::expired) {
      check(signer.path(id, std::stoll(exp)) == "/media/" + id + "?exp=" + exp + "&sig=" + sig);
    }
  }
  return 0;
}
