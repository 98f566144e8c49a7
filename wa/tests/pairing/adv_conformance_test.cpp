// ADV against Baileys: pair-success messages built with Baileys' primitives (committed corpus,
// regenerate with gen_adv_vectors.mjs). We accept what Baileys accepts, reject tampered HMACs and
// forged account signatures, and reply with the same ADVSignedDeviceIdentity fields; Baileys'
// device signature (npm libsignal's XEdDSA) verifies with ours and vice versa on the same message.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstring>
#include <fstream>
#include <string>

#include "wa/crypto/curve25519.hpp"
#include "wa/pairing/adv.hpp"
#include "wa/proto/wa.pb.h"

namespace {

using namespace wa;
using store::Bytes;

Bytes unhex(std::string_view s) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
  }
  return out;
}
store::Key32 key32(std::string_view s) {
  const Bytes b = unhex(s);
  store::Key32 k{};
  EXPECT_EQ(b.size(), 32u);
  std::memcpy(k.data(), b.data(), std::min<std::size_t>(b.size(), 32));
  return k;
}

TEST(AdvConformance, BaileysCorpus) {
  std::ifstream in(std::string(WA_ADV_VECTORS) + "/adv.jsonl");
  ASSERT_TRUE(in) << "missing corpus";
  std::string line;
  int cases = 0, good = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto v = boost::json::parse(line).as_object();
    const std::string name(v.at("name").as_string());
    SCOPED_TRACE(name);
    ++cases;
    const store::Key32 secret = key32(v.at("advSecret").as_string());
    const store::KeyPair ours{key32(v.at("identityPub").as_string()),
                              key32(v.at("identityPriv").as_string())};
    const Bytes container = unhex(v.at("container").as_string());
    auto r = pairing::verify_device_identity(container, secret, ours);
    if (!v.at("ok").as_bool()) {
      EXPECT_EQ(r.code(), name.find("hmac") != std::string::npos
                              ? pairing::AdvErrc::hmac_mismatch
                              : pairing::AdvErrc::account_signature_mismatch);
      continue;
    }
    ++good;
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->key_index, static_cast<std::uint32_t>(v.at("keyIndex").as_int64()));
    EXPECT_EQ(r->account_signature_key, key32(v.at("accountKey").as_string()));

    proto::ADVSignedDeviceIdentity mine, theirs;
    const Bytes baileys_reply = unhex(v.at("replyIdentity").as_string());
    ASSERT_TRUE(
        mine.ParseFromArray(r->reply_identity.data(), static_cast<int>(r->reply_identity.size())));
    ASSERT_TRUE(
        theirs.ParseFromArray(baileys_reply.data(), static_cast<int>(baileys_reply.size())));
    EXPECT_EQ(mine.details(), theirs.details());
    EXPECT_EQ(mine.account_signature(), theirs.account_signature());
    EXPECT_FALSE(mine.has_account_signature_key());
    EXPECT_FALSE(theirs.has_account_signature_key());
    // Both device signatures cover the same message and verify under our identity key.
    const std::string& d = mine.details();
    const auto msg = pairing::device_signature_message(
        {reinterpret_cast<const std::uint8_t*>(d.data()), d.size()}, ours.pub,
        r->account_signature_key);
    const auto& ts = theirs.device_signature();
    EXPECT_TRUE(crypto::xeddsa_verify(
        ours.pub, msg, {reinterpret_cast<const std::uint8_t*>(ts.data()), ts.size()}));
    EXPECT_TRUE(crypto::xeddsa_verify(ours.pub, msg, r->device_signature));
  }
  EXPECT_EQ(cases, 7);
  EXPECT_EQ(good, 4);
}

}  // namespace
