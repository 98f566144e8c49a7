// libFuzzer target: everything the Noise layer parses from the network before and after the
// handshake: the server hello (HandshakeMessage -> keys -> encrypted certificate chain), the
// certificate chain verifier on its own, and transport decryption. Keys and the clock are fixed so
// that the committed seeds (wa/tests/node/gen_noise_fuzz_seeds.mjs) reach the end of each path.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "wa/crypto/curve25519.hpp"
#include "wa/noise/cert.hpp"
#include "wa/noise/client_handshake.hpp"

namespace {

wa::crypto::PrivateKey filled(std::uint8_t b) {
  wa::crypto::PrivateKey k{};
  k.fill(b);
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto root = wa::crypto::key_pair_from_private(filled(0x33));
  static const auto server_static = wa::crypto::key_pair_from_private(filled(0x44));
  static const auto noise_key = wa::crypto::key_pair_from_private(filled(0x22));
  static const auto ephemeral = wa::crypto::key_pair_from_private(filled(0x11));
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  wa::noise::CertPolicy policy;
  policy.root_key = root.pub;
  const std::span<const std::uint8_t> in(data, size);

  // 1. As a server hello answering our fixed ephemeral key.
  wa::noise::ClientHandshake hs(noise_key, policy, ephemeral);
  const std::uint8_t payload[] = {0x08, 0x01};
  if (auto fin = hs.on_server_hello(in, payload, now); fin) (void)hs.transport();
  // 2. As a certificate chain for the fixed server static key.
  (void)wa::noise::verify_cert_chain(in, server_static.pub, policy, now);
  // 3. As a transport frame.
  wa::crypto::Key32 k{};
  wa::noise::TransportCipher cipher(k, k);
  (void)cipher.decrypt(in);
  return 0;
}
