#pragma once
// The send path as pure functions (docs/PROTOCOL.md §5.2, §5.3, §7.2, §7.4): device lists (usync),
// prekey-bundle fetches, the Message protobuf of a text, the deviceSentMessage wrapper for our own
// devices, and the <message> stanza with per-device <enc> nodes. The connection code (client.cpp)
// sequences them with the Signal layer.
// Thread safety: free functions without shared state.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wa/binary/node.hpp"
#include "wa/client/messages.hpp"
#include "wa/client/outgoing.hpp"
#include "wa/error.hpp"
#include "wa/jid.hpp"
#include "wa/signal/protocol.hpp"

namespace wa::client::send {

using binary::Node;

/// <iq xmlns=usync type=get> asking the devices (and LIDs) of `users` (non-AD JIDs) (§5.3).
Node usync_devices_query(std::span<const Jid> users, std::string_view sid);

/// One user's answer: device ids (0 = the phone) and the LID when it came along.
struct UserDevices {
  Jid user;  ///< as answered, non-AD
  std::vector<std::uint16_t> devices;
  std::optional<Jid> lid;  ///< non-AD
};
/// The users of a usync result. Non-zero devices without key-index are dropped (as Baileys does).
std::vector<UserDevices> parse_usync_devices(const Node& iq_result);

/// <iq xmlns=encrypt type=get><key><user jid=…/>…</key></iq> (§5.2).
Node prekey_fetch_query(std::span<const Jid> devices);
/// The bundles of a key-fetch result, by device JID; a <user> with an <error> child or malformed
/// keys yields an error for that device.
std::vector<std::pair<Jid, Result<signal::PreKeyBundle>>> parse_prekey_bundles(
    const Node& iq_result);

/// The serialized Message for a text: `conversation`, or `extendedTextMessage` with contextInfo
/// when quoting or mentioning (§7.4).
std::string text_message(std::string_view text, const SendOptions& options);

/// A message ready to encrypt: the serialized Message and its stanza attributes (§7.2, §8.4).
struct Composed {
  std::string message;
  std::string stanza_type = "text";  ///< <message type>: "text", or "media" for attachments/vcards
  std::string mediatype;  ///< <enc mediatype>: image, video/gif, audio/ptt, document, sticker,
                          ///< vcard; empty for text and location
};
/// Builds the Message of `m` (compose.cpp): the media fields from `uploaded` (required for
/// attachments), the caption/text's contextInfo from the options (quote, mentions). Error:
/// invalid_argument (an attachment without upload).
Result<Composed> compose(const OutgoingMessage& m, const media::UploadedMedia* uploaded,
                         const SendOptions& options);
/// Message{deviceSentMessage{destinationJid, message}} for our own other devices (§7.2 step 4).
std::string device_sent_message(std::string_view message, const Jid& destination);

/// <iq xmlns=w:g2 type=get to=G><query request=interactive/></iq> (§7.3 step 1).
Node group_info_query(const Jid& group);
/// The <group> of a w:g2 query result. Error: node_invalid when absent.
Result<GroupInfo> parse_group_info(const Node& iq_result, const Jid& group);

/// <iq xmlns=usync> asking whether phone numbers (digits) are on WhatsApp, with their LIDs
/// (contact protocol; docs/PROTOCOL.md §5.3).
Node usync_contacts_query(std::span<const std::string> phones, std::string_view sid);
/// The answer for each number asked, in the order of `phones`; a number absent from the answer
/// counts as not on WhatsApp.
std::vector<PhoneLookup> parse_usync_contacts(const Node& iq_result,
                                              std::span<const std::string> phones);
/// Message{senderKeyDistributionMessage{groupId, axolotlSenderKeyDistributionMessage}} (§7.3).
std::string sender_key_distribution_message(const Jid& group, std::span<const std::uint8_t> skdm);

/// `message` (serialized) with a senderKeyDistributionMessage added: a group retry carries a
/// fresh SKDM inside the re-sent message (§7.5 sender side, step 2).
std::string with_sender_key_distribution(std::string_view message, const Jid& group,
                                         std::span<const std::uint8_t> skdm);

/// One <to> entry of <participants>.
struct DeviceCiphertext {
  Jid device;
  signal::Ciphertext ciphertext;
};
/// <message id to type=text><participants>…</participants>[<device-identity>]</message>; the
/// device identity (our ADV account) is added when any ciphertext is a pkmsg (§7.2 step 5).
Node message_stanza(std::string_view id, const Jid& to, std::span<const DeviceCiphertext> encs,
                    std::span<const std::uint8_t> account, std::string_view type = "text",
                    std::string_view mediatype = {});

/// The group form (§7.3 step 6): <message id to=G type=text addressing_mode [phash]> with the
/// SKDM <participants>, the <enc type=skmsg> and <device-identity> when any pkmsg.
Node group_message_stanza(std::string_view id, const Jid& group, std::string_view addressing_mode,
                          std::span<const DeviceCiphertext> skdm_encs,
                          std::span<const std::uint8_t> skmsg,
                          std::span<const std::uint8_t> account, std::string_view phash,
                          std::string_view type = "text", std::string_view mediatype = {});

/// <receipt id to=chat [participant=sender] type=read t>[<list><item id/>…]</list>] for
/// messages we received (§6.4); the first id goes in the attribute, the others in the list.
Node read_receipt(const Jid& chat, std::span<const std::string> ids,
                  const std::optional<Jid>& sender, std::int64_t now);
/// <chatstate to=chat><composing/> | <paused/></chatstate>.
Node chat_state(const Jid& chat, bool composing);

/// The outcome of a server <ack class=message>: timestamp, or the server's error code.
struct MessageAck {
  std::int64_t timestamp = 0;
  int error = 0;
};
MessageAck parse_message_ack(const Node& ack);

}  // namespace wa::client::send
