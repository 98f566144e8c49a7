// Fuzzes the client-address logic: X-Forwarded-For (written by any client) walked against a
// TRUSTED_PROXIES list, plus the address and CIDR parsers and the rate-limit keys.
// Input: "<trusted proxies>\n<peer address>\n<X-Forwarded-For>" (missing parts are empty).
// Invariants: no crash; a parsed address prints to text that parses back to the same address;
// an untrusted peer is its own client whatever X-Forwarded-For says; the client of a trusted
// peer is the peer or an address that appears in X-Forwarded-For; the keys are stable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/client_ip.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::string_view next_line(std::string_view& rest) {
  const auto nl = rest.find('\n');
  const auto line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gw::http;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const auto proxies_csv = next_line(rest);
  const auto peer = next_line(rest);
  const auto xff = rest;

  for (auto text : {peer, proxies_csv, xff}) {
    if (const auto ip = parse_ip(text)) {
      const auto again = parse_ip(to_string(*ip));
      check(again && *again == *ip);
    }
    if (const auto cidr = parse_cidr(text)) {
      check(cidr->prefix >= 0 && cidr->prefix <= (cidr->network.v6 ? 128 : 32));
      check(cidr->contains(cidr->network));
    }
  }

  const auto parsed = parse_trusted_proxies(proxies_csv);
  const auto client = client_ip(peer, xff, parsed.proxies);
  check(client_ip(peer, xff, parsed.proxies) == client);
  const auto peer_ip = parse_ip(peer);
  if (!peer_ip) {
    check(client == peer);
  } else if (!parsed.proxies.contains(*peer_ip)) {
    check(client == to_string(*peer_ip));
  } else {
    const auto client_addr = parse_ip(client);
    check(client_addr.has_value());
    check(*client_addr == *peer_ip || xff.find(':') != std::string_view::npos ||
          xff.find('.') != std::string_view::npos);
  }

  check(rate_limit_key(client) == rate_limit_key(client));
  check(login_limit_key(client) == login_limit_key(client));
  for (int bits : {0, 7, 48, 64, 128}) check(!prefix_key(client, bits).empty() || client.empty());
  return 0;
}
