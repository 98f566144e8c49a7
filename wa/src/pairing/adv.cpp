// ADV verification of pair-success (docs/PROTOCOL.md §4.2), pure functions over our protobuf
// schema.
#include "wa/pairing/adv.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>

#include "wa/crypto/curve25519.hpp"
#include "wa/proto/wa.pb.h"
#include "wa/signal/protocol.hpp"

namespace wa::pairing {

const char* errc_name(AdvErrc e) noexcept {
  switch (e) {
    case AdvErrc::ok:
      return "ok";
    case AdvErrc::malformed_container:
      return "adv_malformed_container";
    case AdvErrc::hmac_mismatch:
      return "adv_hmac_mismatch";
    case AdvErrc::malformed_identity:
      return "adv_malformed_identity";
    case AdvErrc::malformed_device_identity:
      return "adv_malformed_device_identity";
    case AdvErrc::bad_key_index:
      return "adv_bad_key_index";
    case AdvErrc::bad_account_signature_key:
      return "adv_bad_account_signature_key";
    case AdvErrc::bad_account_signature:
      return "adv_bad_account_signature";
    case AdvErrc::account_signature_mismatch:
      return "adv_account_signature_mismatch";
    case AdvErrc::malformed_stanza:
      return "adv_malformed_stanza";
    case AdvErrc::crypto:
      return "adv_crypto";
    case AdvErrc::store:
      return "adv_store";
  }
  return "adv_unknown";
}

std::string AdvError::message() const {
  std::string out = errc_name(code);
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

namespace {

void append(store::Bytes& out, std::span<const std::uint8_t> v) {
  out.insert(out.end(), v.begin(), v.end());
}
void append(store::Bytes& out, const std::string& v) {
  out.insert(out.end(), v.begin(), v.end());
}

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

bool parse(google::protobuf::MessageLite& msg, std::span<const std::uint8_t> data) {
  return data.size() <= static_cast<std::size_t>(INT32_MAX) &&
         msg.ParseFromArray(data.data(), static_cast<int>(data.size()));
}

}  // namespace

AdvResult<store::Bytes> check_identity_hmac(std::span<const std::uint8_t> container,
                                            const store::Key32& adv_secret) {
  proto::ADVSignedDeviceIdentityHMAC c;
  if (!parse(c, container))
    return {AdvErrc::malformed_container, "not an ADVSignedDeviceIdentityHMAC"};
  if (!c.has_details() || !c.has_hmac())
    return {AdvErrc::malformed_container, "details or hmac missing"};
  store::Bytes input;
  if (c.has_account_type() && c.account_type() == proto::HOSTED)
    append(input, kAdvHostedHmacPrefix);
  append(input, c.details());
  std::uint8_t mac[EVP_MAX_MD_SIZE];
  std::size_t mac_len = 0;
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, adv_secret.data(), adv_secret.size(),
                 input.data(), input.size(), mac, sizeof mac, &mac_len)) {
    return {AdvErrc::crypto, "HMAC-SHA256"};
  }
  if (c.hmac().size() != mac_len || CRYPTO_memcmp(c.hmac().data(), mac, mac_len) != 0) {
    return {AdvErrc::hmac_mismatch, {}};
  }
  const auto details = bytes_of(c.details());
  return store::Bytes(details.begin(), details.end());
}

store::Bytes account_signature_message(std::span<const std::uint8_t> device_details,
                                       const store::Key32& own_identity, bool hosted_device) {
  store::Bytes m;
  m.reserve(2 + device_details.size() + 32);
  append(m, hosted_device ? kAdvHostedAccountSigPrefix : kAdvAccountSigPrefix);
  append(m, device_details);
  append(m, own_identity);
  return m;
}

store::Bytes device_signature_message(std::span<const std::uint8_t> device_details,
                                      const store::Key32& own_identity,
                                      const store::Key32& account_signature_key) {
  store::Bytes m;
  m.reserve(2 + device_details.size() + 64);
  append(m, kAdvDeviceSigPrefix);
  append(m, device_details);
  append(m, own_identity);
  append(m, account_signature_key);
  return m;
}

AdvResult<VerifiedPairing> verify_device_identity(std::span<const std::uint8_t> device_identity,
                                                  const store::Key32& adv_secret,
                                                  const store::KeyPair& identity) {
  VerifiedPairing v;
  {
    proto::ADVSignedDeviceIdentityHMAC c;
    if (parse(c, device_identity))
      v.hosted_account = c.has_account_type() && c.account_type() == proto::HOSTED;
  }
  auto signed_bytes = check_identity_hmac(device_identity, adv_secret);
  if (!signed_bytes) return std::move(signed_bytes).error();

  proto::ADVSignedDeviceIdentity signed_identity;
  if (!parse(signed_identity, *signed_bytes))
    return {AdvErrc::malformed_identity, "not an ADVSignedDeviceIdentity"};
  if (!signed_identity.has_details() || !signed_identity.has_account_signature_key() ||
      !signed_identity.has_account_signature()) {
    return {AdvErrc::malformed_identity,
            "details, accountSignatureKey or accountSignature missing"};
  }
  proto::ADVDeviceIdentity device;
  if (!parse(device, bytes_of(signed_identity.details()))) {
    return {AdvErrc::malformed_device_identity, "not an ADVDeviceIdentity"};
  }
  if (!device.has_key_index() || device.key_index() == 0) {
    return {AdvErrc::bad_key_index, device.has_key_index() ? "key index 0" : "key index missing"};
  }
  if (signed_identity.account_signature_key().size() != 32) {
    return {AdvErrc::bad_account_signature_key,
            std::to_string(signed_identity.account_signature_key().size()) + " bytes"};
  }
  if (signed_identity.account_signature().size() != 64) {
    return {AdvErrc::bad_account_signature,
            std::to_string(signed_identity.account_signature().size()) + " bytes"};
  }
  v.hosted_device = device.has_device_type() && device.device_type() == proto::HOSTED;
  v.key_index = device.key_index();
  v.raw_id = device.raw_id();
  v.timestamp = device.timestamp();
  std::memcpy(v.account_signature_key.data(), signed_identity.account_signature_key().data(), 32);

  const auto details = bytes_of(signed_identity.details());
  const auto account_msg = account_signature_message(details, identity.pub, v.hosted_device);
  if (!crypto::xeddsa_verify(v.account_signature_key, account_msg,
                             bytes_of(signed_identity.account_signature()))) {
    return {AdvErrc::account_signature_mismatch, {}};
  }

  auto sig = crypto::xeddsa_sign(
      identity.priv, device_signature_message(details, identity.pub, v.account_signature_key));
  if (!sig) return {AdvErrc::crypto, sig.error().message()};
  v.device_signature = *sig;

  signed_identity.set_device_signature(v.device_signature.data(), v.device_signature.size());
  std::string full, reply;
  if (!signed_identity.SerializeToString(&full)) return {AdvErrc::crypto, "serialize account"};
  signed_identity.clear_account_signature_key();
  if (!signed_identity.SerializeToString(&reply)) return {AdvErrc::crypto, "serialize reply"};
  v.account.assign(full.begin(), full.end());
  v.reply_identity.assign(reply.begin(), reply.end());
  return v;
}

AdvResult<PairSuccess> parse_pair_success(const binary::Node& iq) {
  PairSuccess out;
  const std::string* id = iq.attr("id");
  if (iq.tag != "iq" || !id || id->empty()) return {AdvErrc::malformed_stanza, "iq without id"};
  out.iq_id = *id;
  const binary::Node* ps = iq.child("pair-success");
  if (!ps) return {AdvErrc::malformed_stanza, "no pair-success"};
  const binary::Node* di = ps->child("device-identity");
  if (!di || !std::holds_alternative<binary::Bytes>(di->content)) {
    return {AdvErrc::malformed_stanza, "no device-identity bytes"};
  }
  out.device_identity = std::get<binary::Bytes>(di->content);
  const binary::Node* dev = ps->child("device");
  const std::string* jid = dev ? dev->attr("jid") : nullptr;
  if (!jid) return {AdvErrc::malformed_stanza, "no device jid"};
  auto parsed = Jid::parse(*jid);
  if (!parsed || !parsed->is_pn() || parsed->user.empty())
    return {AdvErrc::malformed_stanza, "bad device jid"};
  out.jid = std::move(*parsed);
  if (const std::string* lid = dev->attr("lid")) {
    auto l = Jid::parse(*lid);
    if (!l || !l->is_lid() || l->user.empty()) return {AdvErrc::malformed_stanza, "bad device lid"};
    out.lid = std::move(*l);
  }
  if (const binary::Node* p = ps->child("platform")) {
    if (const std::string* name = p->attr("name")) out.platform = *name;
  }
  if (const binary::Node* b = ps->child("biz")) {
    if (const std::string* name = b->attr("name")) out.business_name = *name;
  }
  return out;
}

binary::Node make_pair_device_sign(std::string_view iq_id, const VerifiedPairing& verified) {
  binary::Node identity{"device-identity",
                        {{"key-index", std::to_string(verified.key_index)}},
                        verified.reply_identity};
  binary::Node sign{"pair-device-sign", {}, std::vector<binary::Node>{std::move(identity)}};
  return binary::Node{
      "iq",
      {{"to", Jid::default_server().to_string()}, {"type", "result"}, {"id", std::string(iq_id)}},
      std::vector<binary::Node>{std::move(sign)}};
}

PairErrorReply pair_error_reply(AdvErrc e) noexcept {
  switch (e) {
    case AdvErrc::hmac_mismatch:
      return {401, "hmac-mismatch"};
    case AdvErrc::account_signature_mismatch:
    case AdvErrc::bad_account_signature_key:
    case AdvErrc::bad_account_signature:
      return {401, "signature-mismatch"};
    default:
      return {500, "internal-error"};
  }
}

binary::Node make_pair_error(std::string_view iq_id, AdvErrc e) {
  const auto reply = pair_error_reply(e);
  binary::Node error{
      "error", {{"code", std::to_string(reply.code)}, {"text", std::string(reply.text)}}, {}};
  return binary::Node{
      "iq",
      {{"to", Jid::default_server().to_string()}, {"type", "error"}, {"id", std::string(iq_id)}},
      std::vector<binary::Node>{std::move(error)}};
}

AdvResult<void> persist_pairing(store::DeviceStore& store, const PairSuccess& success,
                                const VerifiedPairing& verified) {
  auto tx = store.transaction([&]() -> store::StoreResult<void> {
    auto loaded = store.load_device();
    if (!loaded) return std::move(loaded).error();
    if (!loaded->has_value())
      return store::StoreError{store::StoreErrc::no_device, "no device record to pair"};
    store::DeviceRecord d = std::move(**loaded);
    d.jid = success.jid;
    d.lid = success.lid;
    d.platform = success.platform;
    d.business_name = success.business_name;
    d.account = verified.account;
    if (auto r = store.save_device(d); !r) return r;
    // The phone's Signal identity is the ADV account key (§4.2 step 8, §10.3).
    if (auto r = store.identities().put_identity(signal::signal_address(success.jid.with_device(0)),
                                                 verified.account_signature_key);
        !r) {
      return r;
    }
    if (success.lid) {
      if (auto r = store.identities().put_identity(
              signal::signal_address(success.lid->with_device(0)), verified.account_signature_key);
          !r) {
        return r;
      }
      const store::LidMapping m{success.lid->user, success.jid.user};
      if (auto r = store.lid_map().put_lid_mappings({&m, 1}); !r) return r;
    }
    return {};
  });
  if (!tx) return {AdvErrc::store, tx.error().message()};
  return {};
}

}  // namespace wa::pairing
