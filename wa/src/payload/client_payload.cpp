#include "wa/payload/client_payload.hpp"

#include <cstdlib>
#include <string>

#include "wa/crypto/primitives.hpp"

namespace wa::payload {

namespace {

std::string be_bytes(std::uint32_t v, int n) {
  std::string s;
  for (int i = n - 1; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return s;
}

template <std::size_t N>
std::string str(const std::array<std::uint8_t, N>& a) {
  return {reinterpret_cast<const char*>(a.data()), a.size()};
}

std::string version_string(const std::array<std::uint32_t, 3>& v) {
  return std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]);
}

}  // namespace

DeviceKeys generate_device_keys() {
  DeviceKeys k;
  k.noise = crypto::generate_key_pair();
  k.identity = crypto::generate_key_pair();
  std::array<std::uint8_t, 2> r{};
  crypto::random_bytes(r);
  k.registration_id = ((static_cast<std::uint32_t>(r[0]) << 8 | r[1]) & 0x3FFF);
  if (k.registration_id == 0) k.registration_id = 1;
  k.signed_prekey_id = 1;
  k.signed_prekey = crypto::generate_key_pair();
  std::array<std::uint8_t, 33> msg{};
  msg[0] = 0x05;  // the DJB key type prefix is part of the signed bytes (§2.4)
  std::copy(k.signed_prekey.pub.begin(), k.signed_prekey.pub.end(), msg.begin() + 1);
  auto sig = crypto::xeddsa_sign(k.identity.priv, msg);
  if (!sig) std::abort();  // only an OpenSSL/RNG failure gets here
  k.signed_prekey_sig = *sig;
  crypto::random_bytes(k.adv_secret);
  return k;
}

proto::ClientPayload registration_payload(const DeviceKeys& keys, const ClientInfo& info) {
  proto::ClientPayload p;
  // Base values (§2.2).
  auto* ua = p.mutable_user_agent();
  ua->set_platform(proto::ClientPayload::UserAgent::WEB);
  auto* av = ua->mutable_app_version();
  av->set_primary(info.version[0]);
  av->set_secondary(info.version[1]);
  av->set_tertiary(info.version[2]);
  ua->set_mcc("000");
  ua->set_mnc("000");
  ua->set_os_version("0.1");
  ua->set_manufacturer("");
  ua->set_device("Desktop");
  ua->set_os_build_number("0.1");
  ua->set_release_channel(proto::ClientPayload::UserAgent::RELEASE);
  ua->set_locale_language_iso_639_1("en");
  ua->set_locale_country_iso_3166_1_alpha_2("US");
  p.mutable_web_info()->set_web_sub_platform(proto::ClientPayload::WebInfo::WEB_BROWSER);
  p.set_connect_type(proto::ClientPayload::WIFI_UNKNOWN);
  p.set_connect_reason(proto::ClientPayload::USER_ACTIVATED);
  if (!info.push_name.empty()) p.set_push_name(info.push_name);
  // Registration (§2.4).
  p.set_passive(false);
  p.set_pull(false);
  proto::DeviceProps props;
  props.set_os(info.os);
  props.mutable_version()->set_primary(0);
  props.mutable_version()->set_secondary(1);
  props.mutable_version()->set_tertiary(0);
  props.set_platform_type(info.platform);
  props.set_require_full_sync(false);
  auto* hs = props.mutable_history_sync_config();
  hs->set_storage_quota_mb(10240);
  hs->set_inline_initial_payload_in_e2ee_msg(true);
  hs->set_thumbnail_sync_days_limit(60);
  auto* d = p.mutable_device_pairing_data();
  d->set_e_regid(be_bytes(keys.registration_id, 4));
  d->set_e_keytype(std::string(1, '\x05'));
  d->set_e_ident(str(keys.identity.pub));
  d->set_e_skey_id(be_bytes(keys.signed_prekey_id, 3));
  d->set_e_skey_val(str(keys.signed_prekey.pub));
  d->set_e_skey_sig(str(keys.signed_prekey_sig));
  const std::string v = version_string(info.version);
  d->set_build_hash(str(crypto::md5({reinterpret_cast<const std::uint8_t*>(v.data()), v.size()})));
  d->set_device_props(props.SerializeAsString());
  return p;
}

}  // namespace wa::payload
