#include "client/payload.hpp"

#include <charconv>

namespace wa::client {

namespace {
std::vector<std::uint8_t> bytes(const std::string& s) {
  return {s.begin(), s.end()};
}
}  // namespace

payload::DeviceKeys device_keys(const store::DeviceRecord& d) {
  payload::DeviceKeys k;
  k.noise = {d.noise_key.priv, d.noise_key.pub};
  k.identity = {d.identity_key.priv, d.identity_key.pub};
  k.registration_id = d.registration_id;
  k.signed_prekey_id = d.signed_prekey.id;
  k.signed_prekey = {d.signed_prekey.key.priv, d.signed_prekey.key.pub};
  k.signed_prekey_sig = d.signed_prekey.signature;
  k.adv_secret = d.adv_secret;
  return k;
}

payload::ClientInfo client_info(const Options& o, const store::DeviceRecord& d) {
  payload::ClientInfo info;
  info.version = o.version;
  info.os = o.os_name;
  info.push_name = o.push_name.empty() ? d.push_name : o.push_name;
  return info;
}

Result<std::vector<std::uint8_t>> registration_payload(const store::DeviceRecord& d,
                                                       const Options& o) {
  return bytes(
      payload::registration_payload(device_keys(d), client_info(o, d)).SerializeAsString());
}

Result<std::vector<std::uint8_t>> login_payload(const store::DeviceRecord& d, const Options& o) {
  if (!d.jid) return {Errc::invalid_argument, "login payload needs a paired device"};
  std::uint64_t username = 0;
  const auto& user = d.jid->user;
  auto [p, ec] = std::from_chars(user.data(), user.data() + user.size(), username);
  if (user.empty() || ec != std::errc{} || p != user.data() + user.size())
    return {Errc::invalid_argument, "own JID user is not a phone number: " + user};
  // The registration payload carries every base value (§2.2); login drops the pairing data.
  auto pl = payload::registration_payload(device_keys(d), client_info(o, d));
  pl.clear_device_pairing_data();
  pl.set_username(username);
  pl.set_device(d.jid->device_or_zero());
  pl.set_passive(true);
  pl.set_pull(true);
  pl.set_lid_db_migrated(true);
  pl.set_lc(1);
  return bytes(pl.SerializeAsString());
}

}  // namespace wa::client
