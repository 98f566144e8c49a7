#pragma once
// Signal sessions and sender keys for one device, over libsignal-protocol-c with our DeviceStore
// underneath (docs/PROTOCOL.md §6.2, §7, §10). Plaintexts here are already padded by the caller
// (WhatsApp's v=2 padding is a message-layer concern).
//
// Every decrypt runs inside DeviceStore::transaction, so a failed decrypt leaves no half-written
// state (identity saved but session not, prekey consumed but session lost, ...).
//
// Thread safety: none. One SignalProtocol per client, used on that client's strand, like its store.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "wa/jid.hpp"
#include "wa/signal/error.hpp"
#include "wa/store/device_store.hpp"

namespace wa::signal {

/// The `type` attribute of an <enc> node.
enum class MessageType {
  pkmsg,  ///< PreKeySignalMessage (first message of a new session)
  msg,    ///< SignalMessage
  skmsg,  ///< SenderKeyMessage (groups)
};
std::string_view to_string(MessageType t) noexcept;
std::optional<MessageType> parse_message_type(std::string_view s) noexcept;

/// The Signal address of a device JID: user, suffixed `_1` for LID, `_128` hosted, `_129` hosted
/// LID (the AD_JID domain, as Baileys and whatsmeow name them); device 0 when absent.
store::Address signal_address(const Jid& jid);

/// How to treat a peer identity that differs from the stored one.
enum class TrustPolicy {
  always,  ///< WhatsApp: trust and replace; changes are announced by notification (§10.2)
  tofu,    ///< trust on first use, refuse changes (untrusted_identity); for tests and paranoia
};

/// A peer's prekey bundle as fetched from the server (§5.2); keys are 32 bytes raw.
struct PreKeyBundle {
  std::uint32_t registration_id = 0;
  std::uint32_t device_id = 0;
  store::Key32 identity_key{};
  std::uint32_t signed_prekey_id = 0;
  store::Key32 signed_prekey{};
  store::Signature64 signed_prekey_signature{};
  std::optional<std::uint32_t> prekey_id;  ///< the one-time prekey, when the server had one
  store::Key32 prekey{};
};

struct Ciphertext {
  MessageType type = MessageType::msg;
  store::Bytes data;
};

class SignalProtocol {
 public:
  /// Binds to `store` (which must outlive this object and hold a device record before use).
  static SignalResult<std::unique_ptr<SignalProtocol>> create(
      store::DeviceStore& store, TrustPolicy trust = TrustPolicy::always);
  ~SignalProtocol();
  SignalProtocol(const SignalProtocol&) = delete;
  SignalProtocol& operator=(const SignalProtocol&) = delete;

  // --- 1:1 sessions ----------------------------------------------------------------------------
  /// Starts a session from a fetched bundle (verifies the signed-prekey signature).
  SignalResult<void> process_bundle(const store::Address& peer, const PreKeyBundle& bundle);
  SignalResult<bool> has_session(const store::Address& peer);
  /// Encrypts for `peer`: a pkmsg until the peer has answered, then msg.
  SignalResult<Ciphertext> encrypt(const store::Address& peer,
                                   std::span<const std::uint8_t> plaintext);
  /// Decrypts a pkmsg or msg from `peer` (a pkmsg creates the session and consumes our prekey).
  SignalResult<store::Bytes> decrypt(const store::Address& peer, MessageType type,
                                     std::span<const std::uint8_t> ciphertext);

  // --- sender keys (groups) --------------------------------------------------------------------
  /// Our SenderKeyDistributionMessage for `self` (group + our own address), creating our sender
  /// key on first use. Sent to each member inside Message field 2 over pairwise sessions (§10.3).
  SignalResult<store::Bytes> sender_key_distribution(const store::SenderKeyName& self);
  /// Installs a member's SenderKeyDistributionMessage.
  SignalResult<void> process_sender_key_distribution(const store::SenderKeyName& sender,
                                                     std::span<const std::uint8_t> message);
  /// Encrypts a group message with our sender key (an skmsg).
  SignalResult<store::Bytes> group_encrypt(const store::SenderKeyName& self,
                                           std::span<const std::uint8_t> plaintext);
  /// Decrypts a member's skmsg.
  SignalResult<store::Bytes> group_decrypt(const store::SenderKeyName& sender,
                                           std::span<const std::uint8_t> ciphertext);

 private:
  struct Impl;
  explicit SignalProtocol(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wa::signal
