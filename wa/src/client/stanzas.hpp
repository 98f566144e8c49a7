#pragma once
// The stanzas the client sends and the small facts it reads from server stanzas, as pure functions
// (docs/PROTOCOL.md §4, §5.1, §9). The connection code (client.cpp) only sequences them.
// Thread safety: free functions without shared state.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wa/binary/node.hpp"
#include "wa/jid.hpp"
#include "wa/store/types.hpp"

namespace wa::client::stanza {

using binary::Node;

/// Prefix of the QR string (§4.1).
inline constexpr std::string_view kQrPrefix = "https://wa.me/settings/linked_devices#";
/// Prekey upload sizes (§5.1): a fresh account, and a top-up when fewer than kPrekeyLowWater
/// remain.
inline constexpr std::size_t kPrekeyInitialUpload = 812;
inline constexpr std::size_t kPrekeyTopUp = 50;
inline constexpr int kPrekeyLowWater = 5;

/// `ref,base64(noise),base64(identity),base64(adv),platform` after kQrPrefix.
std::string qr_string(std::string_view ref, const store::Key32& noise_pub,
                      const store::Key32& identity_pub, const store::Key32& adv_secret,
                      std::string_view platform_id);
/// The refs of <iq type=set><pair-device><ref>…</ref>…</pair-device></iq>, in order (empty
/// refs are skipped).
std::vector<std::string> pair_device_refs(const Node& iq);

/// <ack class=tag id to=from [participant] [recipient] [type]> for a message, receipt,
/// notification or call; nullopt when the stanza has no id (nothing to acknowledge).
std::optional<Node> ack_for(const Node& stanza);
/// <iq to=from type=result id=…/> answering a server iq.
Node iq_result_for(const Node& iq);
/// <iq to=from type=error id=…><error code text/></iq>.
Node iq_error_for(const Node& iq, int code, std::string_view text);

/// An <iq> to the server (`to=@s.whatsapp.net`) without id; the sender assigns it.
Node server_iq(std::string_view xmlns, std::string_view type, std::vector<Node> children = {});
/// Keepalive: <iq xmlns=w:p type=get to=@s.whatsapp.net/> (§9).
Node keepalive_ping();
/// <iq xmlns=encrypt type=get><count/></iq> (§5.1).
Node prekey_count_query();
/// The value of the <count value=N/> child of an iq result or encrypt notification.
std::optional<int> count_value(const Node& stanza);
/// How many prekeys to upload when the server holds `server_count` (0 = none needed).
std::size_t prekeys_to_upload(int server_count) noexcept;
/// <iq xmlns=encrypt type=set> with registration, type, identity, <list> of keys and <skey>.
Node prekey_upload(const store::DeviceRecord& device, std::span<const store::PreKey> keys);
/// <iq xmlns=passive type=set><active/></iq> (or <passive/>).
Node set_passive(bool passive);
/// <presence type=available name=…/> (§9).
Node presence_available(std::string_view push_name);
/// <iq xmlns=md type=set><remove-companion-device jid=own reason=user_initiated/></iq> (§9).
Node remove_companion_device(const Jid& own);

/// companion_hello of phone-number pairing (§4.3 step 3).
Node companion_hello(std::string_view phone, std::span<const std::uint8_t> wrapped_ephemeral,
                     const store::Key32& noise_pub, std::string_view platform_id,
                     std::string_view platform_display);
/// companion_finish (§4.3 step 6).
Node companion_finish(std::string_view phone, std::span<const std::uint8_t> wrapped_key_bundle,
                      const store::Key32& identity_pub, std::string_view ref);
/// The bytes of child `tag` of `parent` (text or bytes content), or nullopt.
std::optional<std::string> child_bytes(const Node& parent, std::string_view tag);

}  // namespace wa::client::stanza
