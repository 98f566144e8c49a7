#pragma once
// The client (initiator) side of WhatsApp's Noise XX handshake (docs/PROTOCOL.md §1.3-§1.5), as a
// state machine over byte strings: no sockets, so tests drive it with crafted server messages.
//
//   ClientHandshake hs(noise_key, policy);
//   send(hs.client_hello());                                  // -> e
//   auto fin = hs.on_server_hello(recv(), payload, now);      // <- e, ee, s, es (+ cert chain)
//   send(*fin);                                               // -> s, se (+ ClientPayload)
//   TransportCipher cipher = hs.transport();                  // split: write, read keys
#include <chrono>
#include <optional>
#include <span>

#include "wa/crypto/curve25519.hpp"
#include "wa/error.hpp"
#include "wa/noise/cert.hpp"
#include "wa/noise/noise.hpp"

namespace wa::noise {

/// One handshake attempt. Thread safety: none. Not reusable: a reconnect makes a new one.
class ClientHandshake {
 public:
  /// noise_static: the long-term noise key (§2.4); ephemeral is injectable for tests.
  ClientHandshake(const crypto::KeyPair& noise_static, CertPolicy policy,
                  const crypto::KeyPair& ephemeral = crypto::generate_key_pair());

  /// The first frame payload: HandshakeMessage{client_hello{ephemeral}}.
  Bytes client_hello() const;
  /// Processes the server hello (decrypts the server static and the certificate chain, verifies
  /// the chain at `now`) and returns the client finish frame payload carrying the encrypted noise
  /// static and `client_payload` (a serialized ClientPayload). Errors: noise_bad_message
  /// (malformed hello), noise_decrypt, noise_crypto, the cert_* codes of verify_cert_chain.
  Result<Bytes> on_server_hello(std::span<const std::uint8_t> server_hello,
                                std::span<const std::uint8_t> client_payload,
                                std::chrono::system_clock::time_point now);
  /// After on_server_hello succeeded: the transport cipher (client write key, read key).
  /// Calling it before is a programming error (asserted).
  TransportCipher transport() const;
  /// The server static key learned from the hello (valid after on_server_hello succeeded).
  const crypto::PublicKey& server_static() const noexcept { return server_static_; }

 private:
  crypto::KeyPair static_;
  crypto::KeyPair ephemeral_;
  CertPolicy policy_;
  SymmetricState state_;
  crypto::PublicKey server_static_{};
  bool done_ = false;      // a server hello was processed (successfully or not)
  bool finished_ = false;  // ... successfully: the split keys are valid
};

}  // namespace wa::noise
