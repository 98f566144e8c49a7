#include "client/receive.hpp"

#include <charconv>

#include "wa/message/framing.hpp"

namespace wa::client::receive {

namespace {

binary::Bytes be(std::uint32_t v, int n) {
  binary::Bytes b(static_cast<std::size_t>(n));
  for (int i = n - 1; i >= 0; --i, v >>= 8) b[static_cast<std::size_t>(i)] = v & 0xff;
  return b;
}

template <class C>
Node leaf(std::string tag, const C& bytes) {
  return Node{std::move(tag), {}, binary::Bytes(bytes.begin(), bytes.end())};
}

std::optional<Jid> opt_jid(const Node& n, std::string_view key) {
  const auto* v = n.attr(key);
  if (!v || v->empty()) return std::nullopt;
  auto j = Jid::parse(*v);
  if (!j) return std::nullopt;
  return *j;
}

std::int64_t int_attr(const Node& n, std::string_view key, std::int64_t dflt = 0) {
  const auto* v = n.attr(key);
  if (!v) return dflt;
  std::int64_t x = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
  return ec == std::errc{} && p == v->data() + v->size() ? x : dflt;
}

// The same device on the other server (the alternative identity of an attribute, which carries
// no device: participant_lid="L@lid" for participant="P:3@s.whatsapp.net").
Jid with_device_of(const Jid& user, const Jid& device) {
  Jid j = user.to_non_ad();
  if (device.device) j.device = device.device;
  return j;
}

bool same_user(const Jid& a, const std::optional<Jid>& b) {
  return b && a.user == b->user && a.server == b->server;
}

Error store_error(const store::StoreError& e) {
  return Error{Errc::invalid_argument, "store: " + e.message()};
}

}  // namespace

Result<Source> parse_source(const Node& m, const Own& own) {
  Source s;
  const auto* id = m.attr("id");
  if (!id || id->empty()) return Error{Errc::attr_missing, "message id"};
  s.id = *id;
  auto from = opt_jid(m, "from");
  if (!from) return Error{Errc::attr_missing, "message from"};
  s.from = *from;
  s.timestamp = int_attr(m, "t");
  if (const auto* n = m.attr("notify"); n && *n != "-") s.push_name = *n;
  if (const auto* c = m.attr("category")) s.category = *c;
  if (const auto* p = m.attr("participant")) s.participant = *p;
  if (const auto* r = m.attr("recipient")) s.recipient = *r;

  std::optional<Jid> alt;  // the other identity of the sender (user, no device)
  if (from->is_group() || from->is_broadcast()) {
    auto participant = opt_jid(m, "participant");
    if (!participant) return Error{Errc::attr_missing, "group message without participant"};
    s.is_group = from->is_group();
    s.chat = from->to_non_ad();
    s.sender = *participant;
    alt = opt_jid(m, s.sender.is_lid() ? "participant_pn" : "participant_lid");
  } else {
    s.sender = *from;
    const bool mine = same_user(from->to_non_ad(), own.pn.to_non_ad()) ||
                      (own.lid && same_user(from->to_non_ad(), own.lid->to_non_ad()));
    if (mine) {
      s.is_from_me = true;
      auto recipient = opt_jid(m, "recipient");
      s.chat = recipient ? recipient->to_non_ad() : from->to_non_ad();
      if (from->is_lid())
        alt = own.pn.to_non_ad();
      else if (own.lid)
        alt = own.lid->to_non_ad();
    } else {
      s.chat = from->to_non_ad();
      alt = opt_jid(m, from->is_lid() ? "sender_pn" : "sender_lid");
    }
  }
  if (s.is_group && !s.is_from_me) {
    s.is_from_me = same_user(s.sender.to_non_ad(), own.pn.to_non_ad()) ||
                   (own.lid && same_user(s.sender.to_non_ad(), own.lid->to_non_ad()));
  }
  if (s.sender.is_lid()) {
    s.sender_lid = s.sender;
    if (alt && alt->is_pn()) s.sender_pn = with_device_of(*alt, s.sender);
  } else {
    s.sender_pn = s.sender;
    if (alt && alt->is_lid()) s.sender_lid = with_device_of(*alt, s.sender);
  }
  return s;
}

Result<store::Address> decryption_address(store::DeviceStore& store, const Source& src) {
  if (src.sender.is_lid() || !src.sender.is_pn()) return signal::signal_address(src.sender);
  std::optional<Jid> lid = src.sender_lid;
  if (lid) {
    const store::LidMapping m{lid->user, src.sender.user};
    if (auto r = store.lid_map().put_lid_mappings(std::span(&m, 1)); !r)
      return store_error(r.error());
  } else {
    auto known = store.lid_map().lid_for_pn(src.sender.user);
    if (!known) return store_error(known.error());
    if (*known) lid = with_device_of(Jid::lid(**known), src.sender);
  }
  const auto pn_addr = signal::signal_address(src.sender);
  if (!lid) return pn_addr;
  const auto lid_addr = signal::signal_address(*lid);
  // §6.2: a session started on the PN address continues on the LID address. Usually there is
  // none (every message asks): looked at first, outside a nested transaction.
  auto on_pn = store.sessions().get_session(pn_addr);
  if (!on_pn) return store_error(on_pn.error());
  if (!*on_pn) return lid_addr;
  auto moved = store.transaction([&]() -> store::StoreResult<void> {
    auto pn_session = store.sessions().get_session(pn_addr);
    if (!pn_session) return pn_session.error();
    if (!*pn_session) return {};
    auto lid_session = store.sessions().get_session(lid_addr);
    if (!lid_session) return lid_session.error();
    if (!*lid_session) {
      if (auto r = store.sessions().put_session(lid_addr, **pn_session); !r) return r.error();
      auto ident = store.identities().get_identity(pn_addr);
      if (!ident) return ident.error();
      if (*ident) {
        if (auto r = store.identities().put_identity(lid_addr, **ident); !r) return r.error();
      }
    }
    if (auto r = store.sessions().delete_session(pn_addr); !r) return r.error();
    return {};
  });
  if (!moved) return store_error(moved.error());
  return lid_addr;
}

Result<Decrypted> decrypt(signal::SignalProtocol& signal, const Node& m, const Source& src,
                          const store::Address& address) {
  Decrypted out;
  bool any = false;
  // pkmsg/msg first: in groups they carry the sender-key distribution for the skmsg (§6.2).
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& enc : m.children()) {
      if (enc.tag != "enc") continue;
      const auto* type_attr = enc.attr("type");
      const auto type = type_attr ? signal::parse_message_type(*type_attr) : std::nullopt;
      if (!type) return Error{Errc::attr_invalid, "enc type"};
      if ((pass == 0) == (*type == signal::MessageType::skmsg)) continue;
      any = true;
      const auto view = enc.content_view();
      const std::span<const std::uint8_t> ct(reinterpret_cast<const std::uint8_t*>(view.data()),
                                             view.size());
      signal::SignalResult<store::Bytes> plain = signal::SignalErrc::unknown;
      if (*type == signal::MessageType::skmsg) {
        if (!src.is_group) return Error{Errc::attr_invalid, "skmsg outside a group"};
        plain = signal.group_decrypt({src.chat.to_string(), address}, ct);
      } else {
        plain = signal.decrypt(address, *type, ct);
        if (*type == signal::MessageType::pkmsg) out.had_pkmsg = true;
      }
      if (!plain)
        return Error{Errc::invalid_argument,
                     std::string(signal::to_string(*type)) + ": " + plain.error().message()};
      const auto* v = enc.attr("v");
      // Viewed in place: `plain` outlives the parse.
      auto body = (v && *v == "3") ? Result<std::span<const std::uint8_t>>(std::span(*plain))
                                   : message::unpadded(*plain);
      if (!body) return Error{Errc::proto_invalid, "padding: " + body.error().message()};
      auto content = message::parse_content(*body);
      if (!content) return content.error();
      if (content->sender_key_distribution && src.is_group) {
        const auto& skdm = content->sender_key_distribution->payload;
        if (auto r = signal.process_sender_key_distribution({src.chat.to_string(), address}, skdm);
            !r)
          return Error{Errc::invalid_argument, "skdm: " + r.error().message()};
      }
      if (content->type != message::ContentType::none ||
          out.content.type == message::ContentType::none)
        out.content = std::move(*content);
    }
  }
  if (!any) return Error{Errc::node_invalid, "message without <enc>"};
  return out;
}

MessageReceived to_event(const Source& src, const message::Content& c, const Own& own) {
  MessageReceived e;
  e.id = src.id;
  e.chat = src.chat;
  if (src.is_from_me && !src.is_group && c.device_sent_destination) {
    if (auto d = Jid::parse(*c.device_sent_destination)) e.chat = d->to_non_ad();
  }
  e.sender = src.sender_pn;
  e.sender_lid = src.sender_lid;
  e.push_name = src.push_name;
  e.timestamp = src.timestamp;
  e.is_group = src.is_group;
  if (src.is_group) e.group = src.chat;
  e.is_from_me = src.is_from_me;
  e.type = c.type;
  e.text = c.text;
  e.mentioned_jids = c.mentioned_jids;
  e.mentions_me =
      message::mentions(c.mentioned_jids, own.pn.user, own.lid ? own.lid->user : std::string());
  e.quoted = c.quoted;
  e.media = c.media;
  e.edited = c.edited;
  e.view_once = c.view_once;
  return e;
}

Node receipt_for(const Node& m, const Source& src, bool active) {
  Node r{"receipt", {{"id", src.id}, {"to", src.from.to_string()}}, {}};
  if (src.participant) r.attrs.emplace_back("participant", *src.participant);
  if (src.recipient) r.attrs.emplace_back("recipient", *src.recipient);
  if (src.category == "peer") {
    r.attrs.emplace_back("type", "peer_msg");
  } else if (src.is_from_me) {
    r.attrs.emplace_back("type", "sender");
  } else if (!active) {
    r.attrs.emplace_back("type", "inactive");
  }
  (void)m;
  return r;
}

RetryReason retry_reason(const Error& e) {
  const std::string what = e.message();
  // Most specific names first: "signal_invalid_key_id" contains "signal_invalid_key".
  static constexpr std::pair<std::string_view, RetryReason> kNames[] = {
      {"signal_no_session", RetryReason::no_session},
      {"signal_no_device", RetryReason::no_session},
      {"signal_invalid_key_id", RetryReason::invalid_key_id},
      {"signal_invalid_key", RetryReason::invalid_key},
      {"signal_invalid_mac", RetryReason::bad_mac},
      {"signal_invalid_message", RetryReason::invalid_message},
      {"signal_invalid_version", RetryReason::invalid_message},
      {"signal_legacy_message", RetryReason::invalid_message},
      {"signal_untrusted_identity", RetryReason::invalid_signature},
  };
  for (const auto& [name, reason] : kNames)
    if (what.find(name) != std::string::npos) return reason;
  return RetryReason::unknown;
}

bool needs_new_session(RetryReason r) {
  return r == RetryReason::no_session || r == RetryReason::bad_mac ||
         r == RetryReason::invalid_message;
}

Node retry_receipt(const Node& m, int count, RetryReason reason, const store::DeviceRecord& device,
                   const std::optional<store::PreKey>& prekey) {
  Node r{"receipt", {{"type", "retry"}}, {}};
  if (const auto* id = m.attr("id")) r.attrs.emplace_back("id", *id);
  if (const auto* f = m.attr("from")) r.attrs.emplace_back("to", *f);
  if (const auto* p = m.attr("participant")) r.attrs.emplace_back("participant", *p);
  if (const auto* rc = m.attr("recipient")) r.attrs.emplace_back("recipient", *rc);
  if (const auto* c = m.attr("category"); c && *c == "peer")
    r.attrs.emplace_back("category", "peer");
  std::vector<Node> kids;
  kids.push_back(Node{"retry",
                      {{"count", std::to_string(count)},
                       {"id", m.attr("id") ? *m.attr("id") : std::string()},
                       {"t", m.attr("t") ? *m.attr("t") : std::string("0")},
                       {"v", "1"},
                       {"error", std::to_string(static_cast<int>(reason))}},
                      {}});
  kids.push_back(leaf("registration", be(device.registration_id, 4)));
  if (prekey) {
    std::vector<Node> keys;
    keys.push_back(leaf("type", binary::Bytes{5}));
    keys.push_back(leaf("identity", device.identity_key.pub));
    keys.push_back(
        Node{"key",
             {},
             std::vector<Node>{leaf("id", be(prekey->id, 3)), leaf("value", prekey->key.pub)}});
    keys.push_back(Node{"skey",
                        {},
                        std::vector<Node>{leaf("id", be(device.signed_prekey.id, 3)),
                                          leaf("value", device.signed_prekey.key.pub),
                                          leaf("signature", device.signed_prekey.signature)}});
    keys.push_back(leaf("device-identity", device.account));
    kids.push_back(Node{"keys", {}, std::move(keys)});
  }
  r.content = std::move(kids);
  return r;
}

std::optional<ReceiptReceived> parse_receipt(const Node& n) {
  const auto* type = n.attr("type");
  if (type && (*type == "retry" || *type == "enc_rekey_retry")) return std::nullopt;
  auto from = opt_jid(n, "from");
  const auto* id = n.attr("id");
  if (!from || !id) return std::nullopt;
  ReceiptReceived r;
  r.ids.push_back(*id);
  if (const auto* list = n.child("list")) {
    for (const auto& item : list->children())
      if (const auto* i = item.attr("id"); item.tag == "item" && i) r.ids.push_back(*i);
  }
  r.type = type ? *type : "delivered";
  r.timestamp = int_attr(n, "t");
  if (from->is_group()) {
    auto p = opt_jid(n, "participant");
    if (!p) return std::nullopt;
    r.chat = *from;
    r.from = *p;
  } else {
    auto recipient = opt_jid(n, "recipient");
    r.chat = recipient ? recipient->to_non_ad() : from->to_non_ad();
    r.from = *from;
  }
  return r;
}

std::optional<RetryRequest> parse_retry(const Node& n) {
  const auto* type = n.attr("type");
  if (!type || *type != "retry") return std::nullopt;
  auto from = opt_jid(n, "from");
  const auto* id = n.attr("id");
  if (!from || !id) return std::nullopt;
  RetryRequest r;
  r.id = *id;
  r.from = *from;
  r.participant = opt_jid(n, "participant");
  if (const auto* retry = n.child("retry")) {
    r.count = static_cast<int>(int_attr(*retry, "count", 1));
    r.reason = static_cast<int>(int_attr(*retry, "error", 0));
  }
  if (const auto* keys = n.child("keys")) {
    const auto bytes_of = [](const Node* x) -> std::string_view {
      return x ? x->content_view() : std::string_view{};
    };
    const auto* key = keys->child("key");
    const auto* skey = keys->child("skey");
    const auto ident = bytes_of(keys->child("identity"));
    const auto reg = bytes_of(n.child("registration"));
    if (skey && ident.size() == 32 && reg.size() == 4) {
      signal::PreKeyBundle b;
      for (auto ch : reg)
        b.registration_id = b.registration_id << 8 | static_cast<std::uint8_t>(ch);
      std::copy(ident.begin(), ident.end(), b.identity_key.begin());
      const auto sid = bytes_of(skey->child("id"));
      const auto sval = bytes_of(skey->child("value"));
      const auto ssig = bytes_of(skey->child("signature"));
      if (sval.size() == 32 && ssig.size() == 64) {
        for (auto ch : sid)
          b.signed_prekey_id = b.signed_prekey_id << 8 | static_cast<std::uint8_t>(ch);
        std::copy(sval.begin(), sval.end(), b.signed_prekey.begin());
        std::copy(ssig.begin(), ssig.end(), b.signed_prekey_signature.begin());
        if (key) {
          const auto kid = bytes_of(key->child("id"));
          const auto kval = bytes_of(key->child("value"));
          if (kval.size() == 32) {
            std::uint32_t v = 0;
            for (auto ch : kid) v = v << 8 | static_cast<std::uint8_t>(ch);
            b.prekey_id = v;
            std::copy(kval.begin(), kval.end(), b.prekey.begin());
          }
        }
        b.device_id = from->device_or_zero();
        r.bundle = b;
      }
    }
  }
  return r;
}

}  // namespace wa::client::receive
