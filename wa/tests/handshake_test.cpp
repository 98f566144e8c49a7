// The client handshake and certificate-chain verification against a responder written here from
// the Noise primitives (the roles of docs/PROTOCOL.md §1.3 mirrored), with crafted chains: each
// broken rule of §1.4 fails with its own error code. The end-to-end test against the independent
// Node emulator is wa_handshake_emulator (handshake_emulator_test.sh).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>

#include "wa/constants.hpp"
#include "wa/crypto/curve25519.hpp"
#include "wa/crypto/primitives.hpp"
#include "wa/noise/cert.hpp"
#include "wa/noise/client_handshake.hpp"
#include "wa/payload/client_payload.hpp"
#include "wa/proto/wa.pb.h"

namespace {

using namespace std::chrono_literals;
using wa::Errc;
using wa::crypto::KeyPair;
using Bytes = std::vector<std::uint8_t>;
using Details = wa::proto::CertChain::NoiseCertificate::Details;
using Clock = std::chrono::system_clock;

const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1'800'000'000));
const std::uint64_t kNowS = 1'800'000'000;

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
std::string str(std::span<const std::uint8_t> b) {
  return {b.begin(), b.end()};
}

/// Everything a chain is made of, valid by default; tests break one field.
struct ChainSpec {
  KeyPair root = wa::crypto::generate_key_pair();
  KeyPair intermediate = wa::crypto::generate_key_pair();
  std::uint32_t inter_serial = 7, inter_issuer = 0, leaf_serial = 9, leaf_issuer = 7;
  std::uint64_t inter_not_before = kNowS - 3600, inter_not_after = kNowS + 86400;
  std::uint64_t leaf_not_before = kNowS - 3600, leaf_not_after = kNowS + 3600;
  std::string inter_key;  // empty: intermediate.pub
  std::string leaf_key;   // empty: the server static key
  bool corrupt_inter_sig = false, corrupt_leaf_sig = false, sign_leaf_with_root = false;
  std::size_t leaf_sig_len = 64;
  bool drop_leaf = false;
};

std::string make_chain(const ChainSpec& s, const wa::crypto::PublicKey& server_static) {
  Details id;
  id.set_serial(s.inter_serial);
  id.set_issuer_serial(s.inter_issuer);
  id.set_key(s.inter_key.empty() ? str(s.intermediate.pub) : s.inter_key);
  id.set_not_before(s.inter_not_before);
  id.set_not_after(s.inter_not_after);
  Details ld;
  ld.set_serial(s.leaf_serial);
  ld.set_issuer_serial(s.leaf_issuer);
  ld.set_key(s.leaf_key.empty() ? str(server_static) : s.leaf_key);
  ld.set_not_before(s.leaf_not_before);
  ld.set_not_after(s.leaf_not_after);
  const std::string idb = id.SerializeAsString(), ldb = ld.SerializeAsString();
  auto isig = *wa::crypto::xeddsa_sign(s.root.priv, bytes_of(idb));
  auto lsig = *wa::crypto::xeddsa_sign(s.sign_leaf_with_root ? s.root.priv : s.intermediate.priv,
                                       bytes_of(ldb));
  if (s.corrupt_inter_sig) isig[3] ^= 0x40;
  if (s.corrupt_leaf_sig) lsig[40] ^= 0x01;
  wa::proto::CertChain cc;
  cc.mutable_intermediate()->set_details(idb);
  cc.mutable_intermediate()->set_signature(str(isig));
  if (!s.drop_leaf) {
    cc.mutable_leaf()->set_details(ldb);
    cc.mutable_leaf()->set_signature(
        str(std::span(lsig).first(std::min<std::size_t>(s.leaf_sig_len, 64))) +
        std::string(s.leaf_sig_len > 64 ? s.leaf_sig_len - 64 : 0, 'x'));
  }
  return cc.SerializeAsString();
}

wa::noise::CertPolicy policy_for(const ChainSpec& s) {
  wa::noise::CertPolicy p;
  p.root_key = s.root.pub;
  return p;
}

struct Case {
  const char* name;
  std::function<void(ChainSpec&)> breaks;
  Errc expected;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {"leaf missing", [](ChainSpec& s) { s.drop_leaf = true; }, Errc::cert_missing},
      {"short leaf signature", [](ChainSpec& s) { s.leaf_sig_len = 63; },
       Errc::cert_bad_signature_length},
      {"intermediate bad signature", [](ChainSpec& s) { s.corrupt_inter_sig = true; },
       Errc::cert_intermediate_signature},
      {"intermediate issuer serial not 0", [](ChainSpec& s) { s.inter_issuer = 1; },
       Errc::cert_intermediate_issuer},
      {"intermediate key 31 bytes", [](ChainSpec& s) { s.inter_key = std::string(31, 'k'); },
       Errc::cert_intermediate_key_length},
      {"leaf bad signature", [](ChainSpec& s) { s.corrupt_leaf_sig = true; },
       Errc::cert_leaf_signature},
      {"leaf signed by root, not intermediate", [](ChainSpec& s) { s.sign_leaf_with_root = true; },
       Errc::cert_leaf_signature},
      {"intermediate expired", [](ChainSpec& s) { s.inter_not_after = kNowS - 1; },
       Errc::cert_intermediate_expired},
      {"intermediate not yet valid", [](ChainSpec& s) { s.inter_not_before = kNowS + 1; },
       Errc::cert_intermediate_expired},
      {"leaf issuer is not the intermediate serial", [](ChainSpec& s) { s.leaf_issuer = 0; },
       Errc::cert_leaf_issuer},
      {"leaf key is not the server static key",
       [](ChainSpec& s) { s.leaf_key = std::string(32, 'z'); }, Errc::cert_leaf_key_mismatch},
      {"leaf expired", [](ChainSpec& s) { s.leaf_not_after = kNowS - 1; }, Errc::cert_leaf_expired},
      {"leaf not yet valid", [](ChainSpec& s) { s.leaf_not_before = kNowS + 60; },
       Errc::cert_leaf_expired},
  };
  return c;
}

TEST(CertChain, ValidChainPassesAndBoundariesAreInclusive) {
  const auto server = wa::crypto::generate_key_pair();
  ChainSpec s;
  EXPECT_TRUE(wa::noise::verify_cert_chain(bytes_of(make_chain(s, server.pub)), server.pub,
                                           policy_for(s), kNow)
                  .ok());
  s.leaf_not_after = kNowS;
  s.leaf_not_before = kNowS;
  EXPECT_TRUE(wa::noise::verify_cert_chain(bytes_of(make_chain(s, server.pub)), server.pub,
                                           policy_for(s), kNow)
                  .ok());
}

TEST(CertChain, EachBrokenRuleHasItsOwnError) {
  const auto server = wa::crypto::generate_key_pair();
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    ChainSpec s;
    c.breaks(s);
    auto r = wa::noise::verify_cert_chain(bytes_of(make_chain(s, server.pub)), server.pub,
                                          policy_for(s), kNow);
    EXPECT_EQ(r.code(), c.expected) << (r ? "ok" : r.error().message());
  }
}

TEST(CertChain, WrongRootKeyIsAnIntermediateSignatureError) {
  const auto server = wa::crypto::generate_key_pair();
  ChainSpec s;
  auto policy = policy_for(s);
  policy.root_key = wa::constants::kCertRootKey;  // production root, our own chain
  auto r =
      wa::noise::verify_cert_chain(bytes_of(make_chain(s, server.pub)), server.pub, policy, kNow);
  EXPECT_EQ(r.code(), Errc::cert_intermediate_signature);
}

TEST(CertChain, GarbageIsATypedError) {
  const auto server = wa::crypto::generate_key_pair();
  const Bytes junk{0xFF, 0xFF, 0xFF};
  EXPECT_EQ(wa::noise::verify_cert_chain(junk, server.pub, {}, kNow).code(), Errc::proto_invalid);
  EXPECT_EQ(wa::noise::verify_cert_chain({}, server.pub, {}, kNow).code(), Errc::cert_missing);
}

// --- the handshake against a responder built from the same primitives ---------------------------

/// Server side of XX, from SymmetricState: mirrors the roles of the client.
struct Responder {
  KeyPair s = wa::crypto::generate_key_pair();
  KeyPair e = wa::crypto::generate_key_pair();
  wa::noise::SymmetricState st{wa::constants::kNoiseName};
  wa::crypto::PublicKey re{};

  Bytes hello(std::span<const std::uint8_t> client_hello, const std::string& chain) {
    wa::proto::HandshakeMessage m;
    EXPECT_TRUE(m.ParseFromArray(client_hello.data(), static_cast<int>(client_hello.size())));
    EXPECT_EQ(m.client_hello().ephemeral().size(), 32u);
    std::copy(m.client_hello().ephemeral().begin(), m.client_hello().ephemeral().end(), re.begin());
    st.mix_hash(wa::constants::kConnHeader);
    st.mix_hash(re);
    st.mix_hash(e.pub);
    st.mix_key(*wa::crypto::x25519(e.priv, re));
    auto enc_s = *st.encrypt_and_hash(s.pub);
    st.mix_key(*wa::crypto::x25519(s.priv, re));
    auto enc_c = *st.encrypt_and_hash(bytes_of(chain));
    wa::proto::HandshakeMessage out;
    out.mutable_server_hello()->set_ephemeral(str(e.pub));
    out.mutable_server_hello()->set_static_(str(enc_s));
    out.mutable_server_hello()->set_payload(str(enc_c));
    const std::string b = out.SerializeAsString();
    return Bytes(b.begin(), b.end());
  }

  /// Returns (client static, client payload) and the server's transport cipher.
  std::pair<Bytes, Bytes> finish(std::span<const std::uint8_t> client_finish) {
    wa::proto::HandshakeMessage m;
    EXPECT_TRUE(m.ParseFromArray(client_finish.data(), static_cast<int>(client_finish.size())));
    auto cs = *st.decrypt_and_hash(bytes_of(m.client_finish().static_()));
    wa::crypto::PublicKey cpub{};
    std::copy(cs.begin(), cs.end(), cpub.begin());
    st.mix_key(*wa::crypto::x25519(e.priv, cpub));
    auto payload = *st.decrypt_and_hash(bytes_of(m.client_finish().payload()));
    return {cs, payload};
  }
};

TEST(ClientHandshake, CompletesAndBothSidesAgreeOnTransportKeys) {
  const auto noise_key = wa::crypto::generate_key_pair();
  Responder server;
  ChainSpec spec;
  wa::noise::ClientHandshake hs(noise_key, policy_for(spec));
  const Bytes payload{1, 2, 3, 4};
  auto fin = hs.on_server_hello(server.hello(hs.client_hello(), make_chain(spec, server.s.pub)),
                                payload, kNow);
  ASSERT_TRUE(fin.ok()) << fin.error().message();
  EXPECT_EQ(hs.server_static(), server.s.pub);
  auto [client_static, got_payload] = server.finish(*fin);
  EXPECT_EQ(client_static, Bytes(noise_key.pub.begin(), noise_key.pub.end()));
  EXPECT_EQ(got_payload, payload);
  // Split: client write = server read (first half), and the other way round.
  auto [k1, k2] = server.st.split();
  wa::noise::TransportCipher srv(k2, k1);
  auto client = hs.transport();
  const Bytes node{0, 248, 1, 9};
  auto ct = client.encrypt(node);
  ASSERT_TRUE(ct.ok());
  auto pt = srv.decrypt(*ct);
  ASSERT_TRUE(pt.ok());
  EXPECT_EQ(*pt, node);
  auto back = srv.encrypt(node);
  EXPECT_EQ(*client.decrypt(*back), node);
}

TEST(ClientHandshake, CertificateFailuresAbortTheHandshake) {
  // The four cases the issue names, through the full handshake: bad signature, wrong serial,
  // expired, leaf != static.
  const std::vector<Case> named = {
      {"bad signature", [](ChainSpec& s) { s.corrupt_leaf_sig = true; }, Errc::cert_leaf_signature},
      {"wrong serial", [](ChainSpec& s) { s.inter_issuer = 3; }, Errc::cert_intermediate_issuer},
      {"expired", [](ChainSpec& s) { s.leaf_not_after = kNowS - 10; }, Errc::cert_leaf_expired},
      {"leaf != static",
       [](ChainSpec& s) { s.leaf_key = str(wa::crypto::generate_key_pair().pub); },
       Errc::cert_leaf_key_mismatch},
  };
  for (const auto& c : named) {
    SCOPED_TRACE(c.name);
    Responder server;
    ChainSpec spec;
    c.breaks(spec);
    wa::noise::ClientHandshake hs(wa::crypto::generate_key_pair(), policy_for(spec));
    auto fin = hs.on_server_hello(server.hello(hs.client_hello(), make_chain(spec, server.s.pub)),
                                  Bytes{1}, kNow);
    EXPECT_EQ(fin.code(), c.expected);
  }
}

TEST(ClientHandshake, MalformedServerHellosAreTypedErrors) {
  ChainSpec spec;
  auto run = [&](const Bytes& hello) {
    wa::noise::ClientHandshake hs(wa::crypto::generate_key_pair(), policy_for(spec));
    (void)hs.client_hello();
    return hs.on_server_hello(hello, Bytes{1}, kNow).code();
  };
  EXPECT_EQ(run(Bytes{0xFF, 0x01}), Errc::noise_bad_message);
  EXPECT_EQ(run(Bytes{}), Errc::noise_bad_message);
  wa::proto::HandshakeMessage m;
  m.mutable_server_hello()->set_ephemeral(std::string(31, 'e'));
  m.mutable_server_hello()->set_static_("s");
  m.mutable_server_hello()->set_payload("p");
  std::string b = m.SerializeAsString();
  EXPECT_EQ(run(Bytes(b.begin(), b.end())), Errc::noise_bad_message);
  // Right shapes, wrong keys: the static key does not authenticate.
  m.mutable_server_hello()->set_ephemeral(str(wa::crypto::generate_key_pair().pub));
  m.mutable_server_hello()->set_static_(std::string(48, 's'));
  b = m.SerializeAsString();
  EXPECT_EQ(run(Bytes(b.begin(), b.end())), Errc::noise_decrypt);
}

TEST(ClientPayload, RegistrationFieldsFollowTheFacts) {
  const auto keys = wa::payload::generate_device_keys();
  const auto p = wa::payload::registration_payload(keys);
  EXPECT_FALSE(p.passive());
  EXPECT_FALSE(p.pull());
  EXPECT_FALSE(p.has_username());
  EXPECT_EQ(p.user_agent().platform(), wa::proto::ClientPayload::UserAgent::WEB);
  EXPECT_EQ(p.user_agent().app_version().tertiary(), wa::constants::kWaVersion[2]);
  const auto& d = p.device_pairing_data();
  ASSERT_EQ(d.e_regid().size(), 4u);
  EXPECT_EQ((std::uint32_t(std::uint8_t(d.e_regid()[2])) << 8 | std::uint8_t(d.e_regid()[3])),
            keys.registration_id);
  EXPECT_LE(keys.registration_id, 0x3FFFu);
  EXPECT_EQ(d.e_keytype(), std::string(1, '\x05'));
  EXPECT_EQ(d.e_ident(), str(keys.identity.pub));
  EXPECT_EQ(d.e_skey_id(), std::string("\x00\x00\x01", 3));
  EXPECT_EQ(d.e_skey_val(), str(keys.signed_prekey.pub));
  std::string signed_msg = "\x05" + str(keys.signed_prekey.pub);
  EXPECT_TRUE(
      wa::crypto::xeddsa_verify(keys.identity.pub, bytes_of(signed_msg), bytes_of(d.e_skey_sig())));
  const std::string v = "2.3000." + std::to_string(wa::constants::kWaVersion[2]);
  EXPECT_EQ(d.build_hash(), str(wa::crypto::md5(bytes_of(v))));
  wa::proto::DeviceProps props;
  ASSERT_TRUE(props.ParseFromString(d.device_props()));
  EXPECT_EQ(props.os(), "WA Gateway");
}

}  // namespace
