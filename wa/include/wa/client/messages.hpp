#pragma once
// Message-level events and send options of the client (docs/PROTOCOL.md §6, §7).
// Plain value types; the Client fires the events and takes the options (client.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wa/error.hpp"
#include "wa/jid.hpp"
#include "wa/message/content.hpp"

namespace wa::client {

/// A decrypted user message (text, media, reaction, …), normalized. Fires once per received
/// message stanza whose content is user-visible, before the message is acknowledged: when the
/// handler returns, the client sends the receipt (the server then forgets the message). Messages
/// that carry nothing visible (a bare sender-key distribution, protocol messages) fire nothing
/// but are acknowledged and logged.
struct MessageReceived {
  std::string id;
  Jid chat;  ///< the group, or the other person's user JID (for our own sends: the recipient)
  std::optional<Jid> sender;      ///< sender's phone-number JID (with device) when known
  std::optional<Jid> sender_lid;  ///< sender's LID (with device) when known
  std::string push_name;          ///< from `notify`; empty when absent or "-"
  std::int64_t timestamp = 0;     ///< unix seconds (`t`)
  bool is_group = false;
  std::optional<Jid> group;  ///< the group JID when is_group
  bool is_from_me = false;   ///< sent by another device of our own account
  message::ContentType type = message::ContentType::unknown;
  std::string text;                         ///< text or caption
  std::vector<std::string> mentioned_jids;  ///< exactly as received
  bool mentions_me = false;  ///< a mentioned JID's user is our PN user or our LID user (§6.5)
  std::optional<message::QuotedMessage> quoted;
  std::optional<message::MediaDescriptor> media;
  bool edited = false;
  bool view_once = false;
  /// Retry receipts we sent before this decrypted (0 normally): an UndecryptableMessage with
  /// the same id came first.
  int retry_count = 0;
};

/// A receipt for messages we sent: delivered, read, played, … (§7.6). Fires once per receipt
/// stanza, after it was acknowledged. Retry receipts are answered internally and do not fire.
struct ReceiptReceived {
  std::vector<std::string> ids;
  Jid chat;  ///< the group, or the user JID of the reader
  Jid from;  ///< the device (or participant device in groups) that sent the receipt
  std::string
      type;  ///< "delivered" (no type attribute), "read", "played", "read-self", "sender", …
  std::int64_t timestamp = 0;
};

/// A message we could not decrypt (§7.5). Fires after the retry receipt was sent; the sender
/// will normally re-send it (up to 5 times) and a MessageReceived with the same id follows.
/// retry_count 0: we gave up (the message was nacked and is lost unless the sender's phone
/// re-sends it on its own).
struct UndecryptableMessage {
  std::string id;
  Jid chat;
  Jid sender;
  std::string reason;   ///< e.g. "signal_no_session: …"
  int retry_count = 0;  ///< the count of the retry receipt we sent
  bool is_group = false;
  std::optional<Jid> sender_pn;   ///< with device, when known
  std::optional<Jid> sender_lid;  ///< with device, when known
  std::int64_t timestamp = 0;     ///< unix seconds (`t`)
};

/// Options of Client::send_message / send_text.
struct SendOptions {
  /// Reply to this message (§7.4): its id, its sender's JID (non-AD; for 1:1 messages from the
  /// other person their user JID, for our own messages our JID), its content type and its text
  /// or caption (MessageReceived::type / text). `ContextInfo.quotedMessage` is rebuilt from
  /// type and text: a conversation, or an image/video/document with that caption, an audio, a
  /// sticker, a location named `text`, a contact with `text` as display name.
  struct Quote {
    std::string id;
    std::string participant;
    std::string text;
    message::ContentType type = message::ContentType::text;
  };
  std::optional<Quote> quote;
  /// JIDs mentioned in the text or caption (it should contain "@<user>" for each).
  std::vector<Jid> mentions;
};

/// A group's metadata (§7.3 step 1).
struct GroupInfo {
  struct Participant {
    Jid jid;                 ///< as listed: a PN user in pn groups, a LID user in lid groups
    std::optional<Jid> pn;   ///< the phone-number user when known
    std::optional<Jid> lid;  ///< the LID user when known
    bool admin = false;      ///< admin or superadmin
  };
  Jid jid;
  std::string subject;
  std::string addressing_mode;  ///< "pn" or "lid"
  std::vector<Participant> participants;
};

/// Whether a phone number is on WhatsApp (Client::lookup_phones).
struct PhoneLookup {
  std::string phone;       ///< as asked (digits)
  bool exists = false;     ///< the server says the number has an account
  std::optional<Jid> jid;  ///< its phone-number user JID when it exists
  std::optional<Jid> lid;  ///< its LID user when the server told
};

/// The server's acknowledgement of a sent message.
struct SendResult {
  std::string id;
  std::int64_t timestamp = 0;
};

/// The server's code carried by a message_rejected error (e.g. 463, 479), else 0.
int rejection_code(const Error& e) noexcept;

}  // namespace wa::client
