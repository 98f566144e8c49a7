#include "wa/jid.hpp"

#include <charconv>

namespace wa {

namespace {
template <class T>
bool parse_decimal(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc{} && p == end;
}
}  // namespace

Result<Jid> Jid::parse(std::string_view s) {
  const auto at = s.find('@');
  if (at == std::string_view::npos) return {Errc::jid_invalid, "no '@' in JID"};
  Jid j;
  j.server = std::string(s.substr(at + 1));
  if (j.server.empty()) return {Errc::jid_invalid, "empty server"};
  if (j.server.find('@') != std::string::npos) return {Errc::jid_invalid, "more than one '@'"};
  std::string_view user = s.substr(0, at);
  if (const auto colon = user.find(':'); colon != std::string_view::npos) {
    std::uint16_t dev = 0;
    if (!parse_decimal(user.substr(colon + 1), dev)) return {Errc::jid_invalid, "bad device"};
    j.device = dev;
    user = user.substr(0, colon);
  }
  if (const auto us = user.find('_'); us != std::string_view::npos) {
    std::uint8_t agent = 0;
    if (!parse_decimal(user.substr(us + 1), agent)) return {Errc::jid_invalid, "bad agent"};
    j.agent = agent;
    user = user.substr(0, us);
  }
  j.user = std::string(user);
  return j;
}

std::string Jid::to_string() const {
  std::string s = user;
  if (agent != 0) {
    s += '_';
    s += std::to_string(agent);
  }
  if (device) {
    s += ':';
    s += std::to_string(*device);
  }
  s += '@';
  s += server;
  return s;
}

}  // namespace wa
