#include "client/send.hpp"

#include <algorithm>
#include <charconv>

#include "wa/proto/wa.pb.h"

namespace wa::client::send {

namespace {

std::uint32_t be_value(std::string_view b) {
  std::uint32_t v = 0;
  for (auto ch : b) v = v << 8 | static_cast<std::uint8_t>(ch);
  return v;
}

std::string_view bytes_of(const Node* n) {
  return n ? n->content_view() : std::string_view{};
}

template <std::size_t N>
bool copy_exact(std::string_view from, std::array<std::uint8_t, N>& to) {
  if (from.size() != N) return false;
  std::copy(from.begin(), from.end(), to.begin());
  return true;
}

std::int64_t int_attr(const Node& n, std::string_view key) {
  const auto* v = n.attr(key);
  if (!v) return 0;
  std::int64_t x = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
  return ec == std::errc{} ? x : 0;
}

}  // namespace

Node usync_devices_query(std::span<const Jid> users, std::string_view sid) {
  std::vector<Node> list;
  for (const auto& u : users)
    list.push_back(Node{"user", {{"jid", u.to_non_ad().to_string()}}, {}});
  Node query{
      "query", {}, std::vector<Node>{Node{"devices", {{"version", "2"}}, {}}, Node{"lid", {}, {}}}};
  Node usync{"usync",
             {{"sid", std::string(sid)},
              {"mode", "query"},
              {"last", "true"},
              {"index", "0"},
              {"context", "message"}},
             std::vector<Node>{std::move(query), Node{"list", {}, std::move(list)}}};
  return Node{"iq",
              {{"xmlns", "usync"}, {"type", "get"}, {"to", "s.whatsapp.net"}},
              std::vector<Node>{std::move(usync)}};
}

std::vector<UserDevices> parse_usync_devices(const Node& iq) {
  std::vector<UserDevices> out;
  const auto* usync = iq.child("usync");
  const auto* list = usync ? usync->child("list") : nullptr;
  if (!list) return out;
  for (const auto& user : list->children()) {
    if (user.tag != "user" || !user.attr("jid")) continue;
    auto jid = Jid::parse(*user.attr("jid"));
    if (!jid) continue;
    UserDevices u;
    u.user = jid->to_non_ad();
    const auto* devices = user.child("devices");
    const auto* dl = devices ? devices->child("device-list") : nullptr;
    if (dl) {
      for (const auto& d : dl->children()) {
        const auto* id = d.attr("id");
        if (d.tag != "device" || !id) continue;
        unsigned v = 0;
        auto [p, ec] = std::from_chars(id->data(), id->data() + id->size(), v);
        if (ec != std::errc{} || v > 0xffff) continue;
        if (v != 0 && !d.attr("key-index")) continue;
        u.devices.push_back(static_cast<std::uint16_t>(v));
      }
    }
    if (const auto* lid = user.child("lid"); lid && lid->attr("val")) {
      if (auto l = Jid::parse(*lid->attr("val")); l && l->is_lid()) u.lid = l->to_non_ad();
    }
    out.push_back(std::move(u));
  }
  return out;
}

Node prekey_fetch_query(std::span<const Jid> devices) {
  std::vector<Node> users;
  for (const auto& d : devices) users.push_back(Node{"user", {{"jid", d.to_string()}}, {}});
  return Node{"iq",
              {{"xmlns", "encrypt"}, {"type", "get"}, {"to", "s.whatsapp.net"}},
              std::vector<Node>{Node{"key", {}, std::move(users)}}};
}

std::vector<std::pair<Jid, Result<signal::PreKeyBundle>>> parse_prekey_bundles(const Node& iq) {
  std::vector<std::pair<Jid, Result<signal::PreKeyBundle>>> out;
  const auto* list = iq.child("list");
  if (!list) return out;
  for (const auto& user : list->children()) {
    if (user.tag != "user" || !user.attr("jid")) continue;
    auto jid = Jid::parse(*user.attr("jid"));
    if (!jid) continue;
    const Node* keys = user.child("keys") ? user.child("keys") : &user;
    if (const auto* err = user.child("error")) {
      const auto* code = err->attr("code");
      out.emplace_back(*jid, Error{Errc::iq_error, "bundle: " + (code ? *code : std::string("?"))});
      continue;
    }
    signal::PreKeyBundle b;
    b.device_id = jid->device_or_zero();
    const auto reg = bytes_of(keys->child("registration"));
    const auto* skey = keys->child("skey");
    bool ok =
        reg.size() == 4 && skey && copy_exact(bytes_of(keys->child("identity")), b.identity_key);
    if (ok) {
      b.registration_id = be_value(reg);
      b.signed_prekey_id = be_value(bytes_of(skey->child("id")));
      ok = copy_exact(bytes_of(skey->child("value")), b.signed_prekey) &&
           copy_exact(bytes_of(skey->child("signature")), b.signed_prekey_signature);
    }
    if (ok) {
      if (const auto* key = keys->child("key")) {
        b.prekey_id = be_value(bytes_of(key->child("id")));
        ok = copy_exact(bytes_of(key->child("value")), b.prekey);
      }
    }
    if (!ok) {
      out.emplace_back(*jid, Error{Errc::node_invalid, "malformed prekey bundle"});
      continue;
    }
    out.emplace_back(*jid, b);
  }
  return out;
}

std::string text_message(std::string_view text, const SendOptions& o) {
  const OutgoingMessage m = out::Text{std::string(text)};
  auto c = compose(m, nullptr, o);
  return c ? std::move(c->message) : std::string();
}

std::string device_sent_message(std::string_view message, const Jid& destination) {
  proto::Message outer;
  auto* dsm = outer.mutable_device_sent_message();
  dsm->set_destination_jid(destination.to_non_ad().to_string());
  if (!dsm->mutable_message()->ParseFromArray(message.data(), static_cast<int>(message.size())))
    dsm->clear_message();
  return outer.SerializeAsString();
}

Node message_stanza(std::string_view id, const Jid& to, std::span<const DeviceCiphertext> encs,
                    std::span<const std::uint8_t> account, std::string_view type,
                    std::string_view mediatype) {
  std::vector<Node> participants;
  bool any_pkmsg = false;
  for (const auto& e : encs) {
    any_pkmsg = any_pkmsg || e.ciphertext.type == signal::MessageType::pkmsg;
    Node enc{"enc",
             {{"v", "2"}, {"type", std::string(signal::to_string(e.ciphertext.type))}},
             binary::Bytes(e.ciphertext.data.begin(), e.ciphertext.data.end())};
    if (!mediatype.empty()) enc.attrs.emplace_back("mediatype", std::string(mediatype));
    participants.push_back(
        Node{"to", {{"jid", e.device.to_string()}}, std::vector<Node>{std::move(enc)}});
  }
  std::vector<Node> kids;
  kids.push_back(Node{"participants", {}, std::move(participants)});
  if (any_pkmsg && !account.empty())
    kids.push_back(Node{"device-identity", {}, binary::Bytes(account.begin(), account.end())});
  return Node{
      "message",
      {{"id", std::string(id)}, {"to", to.to_non_ad().to_string()}, {"type", std::string(type)}},
      std::move(kids)};
}

Node group_info_query(const Jid& group) {
  return Node{"iq",
              {{"xmlns", "w:g2"}, {"type", "get"}, {"to", group.to_non_ad().to_string()}},
              std::vector<Node>{Node{"query", {{"request", "interactive"}}, {}}}};
}

Result<GroupInfo> parse_group_info(const Node& iq, const Jid& group) {
  const auto* g = iq.child("group");
  if (!g) return Error{Errc::node_invalid, "w:g2 answer without <group>"};
  GroupInfo info;
  info.jid = group.to_non_ad();
  if (const auto* sub = g->attr("subject")) info.subject = *sub;
  const auto* mode = g->attr("addressing_mode");
  info.addressing_mode = mode ? *mode : "pn";
  for (const auto& p : g->children()) {
    if (p.tag != "participant" || !p.attr("jid")) continue;
    auto jid = Jid::parse(*p.attr("jid"));
    if (!jid) continue;
    GroupInfo::Participant part;
    part.jid = jid->to_non_ad();
    if (jid->is_lid()) part.lid = part.jid;
    if (jid->is_pn()) part.pn = part.jid;
    if (const auto* pn = p.attr("phone_number")) {
      if (auto j = Jid::parse(*pn); j && j->is_pn()) part.pn = j->to_non_ad();
    }
    if (const auto* lid = p.attr("lid")) {
      if (auto j = Jid::parse(*lid); j && j->is_lid()) part.lid = j->to_non_ad();
    }
    const auto* type = p.attr("type");
    part.admin = type && (*type == "admin" || *type == "superadmin");
    info.participants.push_back(std::move(part));
  }
  return info;
}

std::string sender_key_distribution_message(const Jid& group, std::span<const std::uint8_t> skdm) {
  proto::Message m;
  auto* d = m.mutable_sender_key_distribution_message();
  d->set_group_id(group.to_non_ad().to_string());
  d->set_axolotl_sender_key_distribution_message(std::string(skdm.begin(), skdm.end()));
  return m.SerializeAsString();
}

std::string with_sender_key_distribution(std::string_view message, const Jid& group,
                                         std::span<const std::uint8_t> skdm) {
  proto::Message m;
  if (!m.ParseFromArray(message.data(), static_cast<int>(message.size()))) m.Clear();
  auto* d = m.mutable_sender_key_distribution_message();
  d->set_group_id(group.to_non_ad().to_string());
  d->set_axolotl_sender_key_distribution_message(std::string(skdm.begin(), skdm.end()));
  return m.SerializeAsString();
}

Node group_message_stanza(std::string_view id, const Jid& group, std::string_view addressing_mode,
                          std::span<const DeviceCiphertext> skdm_encs,
                          std::span<const std::uint8_t> skmsg,
                          std::span<const std::uint8_t> account, std::string_view phash,
                          std::string_view type, std::string_view mediatype) {
  Node m = message_stanza(id, group, skdm_encs, {}, type, mediatype);
  auto& kids = std::get<std::vector<Node>>(m.content);
  const bool any_pkmsg = std::any_of(skdm_encs.begin(), skdm_encs.end(), [](const auto& e) {
    return e.ciphertext.type == signal::MessageType::pkmsg;
  });
  if (skdm_encs.empty()) kids.clear();  // no <participants> when nobody needs the key
  Node enc{"enc", {{"v", "2"}, {"type", "skmsg"}}, binary::Bytes(skmsg.begin(), skmsg.end())};
  if (!mediatype.empty()) enc.attrs.emplace_back("mediatype", std::string(mediatype));
  kids.push_back(std::move(enc));
  if (any_pkmsg && !account.empty())
    kids.push_back(Node{"device-identity", {}, binary::Bytes(account.begin(), account.end())});
  if (!addressing_mode.empty())
    m.attrs.emplace_back("addressing_mode", std::string(addressing_mode));
  if (!phash.empty()) m.attrs.emplace_back("phash", std::string(phash));
  return m;
}

Node read_receipt(const Jid& chat, std::span<const std::string> ids,
                  const std::optional<Jid>& sender, std::int64_t now) {
  Node r{"receipt",
         {{"id", ids.empty() ? std::string() : ids.front()},
          {"to", chat.to_non_ad().to_string()},
          {"type", "read"},
          {"t", std::to_string(now)}},
         {}};
  if (sender && chat.is_group()) r.attrs.emplace_back("participant", sender->to_string());
  if (ids.size() > 1) {
    std::vector<Node> items;
    for (std::size_t i = 1; i < ids.size(); ++i)
      items.push_back(Node{"item", {{"id", ids[i]}}, {}});
    r.content = std::vector<Node>{Node{"list", {}, std::move(items)}};
  }
  return r;
}

Node chat_state(const Jid& chat, bool composing) {
  return Node{"chatstate",
              {{"to", chat.to_non_ad().to_string()}},
              std::vector<Node>{Node{composing ? "composing" : "paused", {}, {}}}};
}

MessageAck parse_message_ack(const Node& ack) {
  MessageAck a;
  a.timestamp = int_attr(ack, "t");
  a.error = static_cast<int>(int_attr(ack, "error"));
  return a;
}

}  // namespace wa::client::send

namespace wa::client {

int rejection_code(const Error& e) noexcept {
  if (e.code != Errc::message_rejected) return 0;
  int v = 0;
  const auto& d = e.detail;
  std::from_chars(d.data(), d.data() + d.size(), v);
  return v;
}

}  // namespace wa::client
