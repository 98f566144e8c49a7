// Fuzzes the validation of user input about a session: names, webhook URLs (the SSRF gate),
// phone numbers for pairing by code, and the address classifier behind the webhook re-check.
// Invariants: no crash; a refusal always carries a message; an accepted name is its own trimmed
// form; what the strict webhook policy accepts, the lenient one accepts too; a normalized phone
// number is 7-15 digits and normalizes to itself; an IPv4-mapped address is classified like the
// IPv4 address it carries.
#include <array>
#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "sessions/validation.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gw::sessions;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  std::string name;
  if (auto err = validate_session_name(in, name)) {
    check(!err->empty());
  } else {
    check(!name.empty() && name.size() <= in.size() && name.size() <= 4 * kMaxSessionNameChars);
    std::string again;
    check(!validate_session_name(name, again) && again == name);
  }

  const auto strict = validate_webhook_url(in, false);
  const auto lenient = validate_webhook_url(in, true);
  if (strict) check(!strict->empty());
  if (lenient) check(!lenient->empty());
  check(strict || !lenient);  // allowing private networks never refuses more
  if (!lenient) check(in.size() <= kMaxWebhookUrlBytes);

  if (const auto phone = normalize_phone(in)) {
    check(phone->size() >= 7 && phone->size() <= 15 && phone->front() != '0');
    for (char c : *phone) check(c >= '0' && c <= '9');
    check(normalize_phone(*phone) == phone);
  }

  if (size >= 16) {
    boost::asio::ip::address_v6::bytes_type b6{};
    std::memcpy(b6.data(), data, b6.size());
    (void)classify_address(boost::asio::ip::address_v6(b6));
    boost::asio::ip::address_v4::bytes_type b4{};
    std::memcpy(b4.data(), data, b4.size());
    const boost::asio::ip::address_v4 v4(b4);
    check(classify_address(v4) ==
          classify_address(boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, v4)));
  }
  return 0;
}
