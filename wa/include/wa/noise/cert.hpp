#pragma once
// Verification of the Noise certificate chain the server sends in its hello (docs/PROTOCOL.md
// §1.4), with whatsmeow's full rule set: root -> intermediate -> leaf, XEdDSA signatures, issuer
// serials, validity windows, and the leaf key bound to the server static key of this handshake.
#include <chrono>
#include <cstdint>
#include <span>

#include "wa/constants.hpp"
#include "wa/crypto/curve25519.hpp"
#include "wa/error.hpp"

namespace wa::noise {

/// What a chain is checked against. The defaults are WhatsApp's production values; the emulator
/// presents a chain from its own root, so the root key is configurable.
struct CertPolicy {
  crypto::PublicKey root_key = constants::kCertRootKey;
  std::uint32_t root_issuer_serial = constants::kCertRootIssuerSerial;
};

/// Checks a serialized CertChain against the policy at time `now`. Runs the checks in whatsmeow's
/// order and stops at the first failure, whose Errc names it (cert_missing,
/// cert_bad_signature_length, cert_intermediate_signature, cert_details_invalid,
/// cert_intermediate_issuer, cert_intermediate_key_length, cert_leaf_signature,
/// cert_intermediate_expired, cert_leaf_issuer, cert_leaf_key_mismatch, cert_leaf_expired) and
/// whose detail is a human sentence ("leaf key does not match server static key").
/// Garbage that is not a CertChain gives proto_invalid.
Result<void> verify_cert_chain(std::span<const std::uint8_t> chain,
                               const crypto::PublicKey& server_static, const CertPolicy& policy,
                               std::chrono::system_clock::time_point now);

}  // namespace wa::noise
