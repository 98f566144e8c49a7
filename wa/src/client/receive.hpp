#pragma once
// The receive path as functions over nodes, the Signal layer and the store (docs/PROTOCOL.md §6,
// §7.5, §7.6): who sent a <message>, which Signal address decrypts it (LID preferred, PN sessions
// migrated), decrypting every <enc> (sender-key distributions first), and the stanzas sent back
// (receipt, retry receipt). The connection code (client.cpp) only sequences them.
// Thread safety: none; used on the owning client's strand with its store.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wa/binary/node.hpp"
#include "wa/client/messages.hpp"
#include "wa/error.hpp"
#include "wa/jid.hpp"
#include "wa/message/content.hpp"
#include "wa/signal/protocol.hpp"
#include "wa/store/device_store.hpp"

namespace wa::client::receive {

using binary::Node;

/// Our own identities (from the device record).
struct Own {
  Jid pn;                  ///< with device
  std::optional<Jid> lid;  ///< with device
};

/// Who sent a <message> and where it belongs (§6.1).
struct Source {
  std::string id;
  Jid from;  ///< the `from` attribute as received (device, or group)
  Jid chat;
  Jid sender;                    ///< as addressed (PN or LID device)
  std::optional<Jid> sender_pn;  ///< with device
  std::optional<Jid> sender_lid;
  std::optional<std::string> participant;  ///< raw attributes echoed in the receipt
  std::optional<std::string> recipient;
  std::string push_name;
  std::string category;
  std::int64_t timestamp = 0;
  bool is_group = false;
  bool is_from_me = false;
};

/// Reads the attributes of a <message>. Errors: attr_missing / attr_invalid / jid_invalid.
Result<Source> parse_source(const Node& message, const Own& own);

/// The sender's Signal address: the LID one when the LID is known (stanza or store), after
/// recording the LID↔PN pair and moving an existing PN session and identity to the LID address
/// (§6.2). Store errors are returned.
Result<store::Address> decryption_address(store::DeviceStore& store, const Source& src);

/// The result of decrypting all <enc> children of one stanza.
struct Decrypted {
  message::Content content;  ///< the user-visible content (type none when there is none)
  bool had_pkmsg = false;
};

/// Decrypts every <enc> child of `message` (pkmsg/msg with `address`, skmsg with the sender key
/// of (group, address)), unpads v=2 plaintexts, parses the Message and installs any sender-key
/// distribution before the skmsg. An error names the first failing <enc>.
Result<Decrypted> decrypt(signal::SignalProtocol& signal, const Node& message, const Source& src,
                          const store::Address& address);

/// The normalized event for a decrypted message.
MessageReceived to_event(const Source& src, const message::Content& content, const Own& own);

/// The receipt (which doubles as the ack) for a handled message (§6.4). `active`: we sent
/// presence available (else type=inactive).
Node receipt_for(const Node& message, const Source& src, bool active);
/// Why a message could not be decrypted, as the `error` attribute of a retry receipt's <retry>
/// carries it (docs/PROTOCOL.md §7.5). The codes are WhatsApp's.
enum class RetryReason : int {
  unknown = 0,
  no_session = 1,
  invalid_key = 2,
  invalid_key_id = 3,
  invalid_message = 4,
  invalid_signature = 5,
  future_message = 6,
  bad_mac = 7,
};
/// The reason for a decryption error (the Signal error named in its message).
RetryReason retry_reason(const Error& decrypt_error);
/// Whether our side of the Signal session is unusable, so the sender must start a new one from
/// the keys in the retry receipt at once (no session, bad MAC, unreadable message) instead of
/// re-encrypting on the old session first.
bool needs_new_session(RetryReason reason);

/// A retry receipt (§7.5) with our registration id, the reason, and — when `prekey` is given —
/// our keys, from which the sender builds a new session.
Node retry_receipt(const Node& message, int count, RetryReason reason,
                   const store::DeviceRecord& device, const std::optional<store::PreKey>& prekey);

/// The event of an incoming <receipt> (nullopt for retry receipts and malformed ones).
std::optional<ReceiptReceived> parse_receipt(const Node& receipt);
/// The retry request of a retry receipt: (message id, count).
struct RetryRequest {
  std::string id;
  Jid from;  ///< the device asking
  std::optional<Jid> participant;
  int count = 1;
  int reason = 0;                              ///< the <retry error> code (RetryReason)
  std::optional<signal::PreKeyBundle> bundle;  ///< keys sent along, when present
};
std::optional<RetryRequest> parse_retry(const Node& receipt);

}  // namespace wa::client::receive
