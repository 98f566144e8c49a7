#pragma once
// ADV ("account device verification") of pair-success, as pure functions (docs/PROTOCOL.md §4.2):
// verify the HMAC with the adv secret, parse the signed identity, verify the account signature,
// make our device signature, and build what goes back in <pair-device-sign>; then persist it all
// in one store transaction. No network: the client feeds the <pair-success> node in and sends the
// returned node out.
//
// Thread safety: free functions without shared state; persist_pairing uses the store on the
// caller's strand.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "wa/binary/node.hpp"
#include "wa/jid.hpp"
#include "wa/store/device_store.hpp"

namespace wa::pairing {

// --- protocol constants (§4.2) ---------------------------------------------------------------
/// Prepended to the HMAC input when the container's accountType is HOSTED.
inline constexpr std::array<std::uint8_t, 2> kAdvHostedHmacPrefix = {6, 5};
/// Account signature prefix (deviceType E2EE) and its hosted variant.
inline constexpr std::array<std::uint8_t, 2> kAdvAccountSigPrefix = {6, 0};
inline constexpr std::array<std::uint8_t, 2> kAdvHostedAccountSigPrefix = {6, 5};
/// Device signature prefix (used for hosted accounts too; 06 06 is defined but unused).
inline constexpr std::array<std::uint8_t, 2> kAdvDeviceSigPrefix = {6, 1};

enum class AdvErrc {
  ok = 0,
  malformed_container,  ///< <device-identity> is not an ADVSignedDeviceIdentityHMAC with
                        ///< details+hmac
  hmac_mismatch,        ///< HMAC-SHA256(advSecret, [06 05 ‖] details) differs
  malformed_identity,   ///< details is not an ADVSignedDeviceIdentity with details+key+signature
  malformed_device_identity,   ///< its details is not an ADVDeviceIdentity
  bad_key_index,               ///< ADVDeviceIdentity.keyIndex missing or 0 (0 is the phone itself)
  bad_account_signature_key,   ///< accountSignatureKey is not 32 bytes
  bad_account_signature,       ///< accountSignature is not 64 bytes
  account_signature_mismatch,  ///< the XEdDSA account signature does not verify
  malformed_stanza,            ///< <pair-success> lacks device-identity / a valid device jid
  crypto,                      ///< HMAC or signing failed locally
  store,                       ///< persisting the pairing failed (nothing was written)
};

const char* errc_name(AdvErrc e) noexcept;

struct AdvError {
  AdvErrc code = AdvErrc::ok;
  std::string detail;
  std::string message() const;
};

template <class T>
using AdvResult = BasicResult<T, AdvError>;

/// The outcome of a verified pair-success.
struct VerifiedPairing {
  /// The full ADVSignedDeviceIdentity (details, accountSignatureKey, accountSignature, our
  /// deviceSignature): persisted as DeviceRecord::account, reused as <device-identity> in pkmsg.
  store::Bytes account;
  /// The same without accountSignatureKey: the content of <device-identity> in pair-device-sign.
  store::Bytes reply_identity;
  std::uint32_t key_index = 0;
  store::Key32 account_signature_key{};  ///< the primary's Signal identity key
  store::Signature64 device_signature{};
  bool hosted_account = false;  ///< container accountType == HOSTED (HMAC prefix used)
  bool hosted_device = false;   ///< ADVDeviceIdentity.deviceType == HOSTED (account prefix 06 05)
  std::uint32_t raw_id = 0;
  std::uint64_t timestamp = 0;
};

/// Runs §4.2 steps 1–6 on the bytes of <device-identity>: HMAC, parse, account signature, device
/// signature. `identity` is our Signal identity key pair, `adv_secret` the secret shown in the QR
/// (or derived by phone-number pairing).
AdvResult<VerifiedPairing> verify_device_identity(std::span<const std::uint8_t> device_identity,
                                                  const store::Key32& adv_secret,
                                                  const store::KeyPair& identity);

/// Step 2 alone: the inner `details` when the HMAC holds.
AdvResult<store::Bytes> check_identity_hmac(std::span<const std::uint8_t> container,
                                            const store::Key32& adv_secret);

/// The message the account signature covers: prefix ‖ deviceDetails ‖ ownIdentityPub.
store::Bytes account_signature_message(std::span<const std::uint8_t> device_details,
                                       const store::Key32& own_identity, bool hosted_device);
/// The message our device signature covers: 06 01 ‖ deviceDetails ‖ ownIdentityPub ‖ accountKey.
store::Bytes device_signature_message(std::span<const std::uint8_t> device_details,
                                      const store::Key32& own_identity,
                                      const store::Key32& account_signature_key);

/// The parsed <iq><pair-success>…</pair-success></iq>.
struct PairSuccess {
  std::string iq_id;
  store::Bytes device_identity;
  Jid jid;                 ///< our PN JID with device
  std::optional<Jid> lid;  ///< our LID with device
  std::string platform;
  std::string business_name;
};
AdvResult<PairSuccess> parse_pair_success(const binary::Node& iq);

/// <iq to=@s.whatsapp.net type=result id=…><pair-device-sign><device-identity key-index=K>…
binary::Node make_pair_device_sign(std::string_view iq_id, const VerifiedPairing& verified);

/// The error code and text sent back for a failed pair-success (401 hmac-mismatch / 401
/// signature-mismatch, 500 internal-error otherwise).
struct PairErrorReply {
  int code;
  std::string_view text;
};
PairErrorReply pair_error_reply(AdvErrc e) noexcept;
/// <iq to=@s.whatsapp.net type=error id=…><error code=… text=…/></iq>
binary::Node make_pair_error(std::string_view iq_id, AdvErrc e);

/// §4.2 step 8, in one store transaction: the device record gets jid, lid, platform, business
/// name and the full account; the account key becomes the trusted identity of the primary
/// (device 0 of our PN user and, when known, of our LID user); the LID↔PN pair is recorded.
/// Fails with AdvErrc::store (and writes nothing) if the store has no device record or fails.
AdvResult<void> persist_pairing(store::DeviceStore& store, const PairSuccess& success,
                                const VerifiedPairing& verified);

}  // namespace wa::pairing
