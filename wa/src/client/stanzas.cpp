#include "client/stanzas.hpp"

#include <charconv>

namespace wa::client::stanza {

namespace {

std::string base64(std::span<const std::uint8_t> in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = std::uint32_t{in[i]} << 16 | std::uint32_t{in[i + 1]} << 8 | in[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (const auto rest = in.size() - i; rest != 0) {
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    if (rest == 2) v |= std::uint32_t{in[i + 1]} << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

binary::Bytes be(std::uint32_t v, int n) {
  binary::Bytes b;
  for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<std::uint8_t>((v >> (8 * i)) & 0xFF));
  return b;
}

template <class Range>
binary::Bytes bytes(const Range& r) {
  return binary::Bytes(r.begin(), r.end());
}

Node leaf(std::string tag, binary::Bytes content) {
  return Node{std::move(tag), {}, std::move(content)};
}
Node leaf_text(std::string tag, std::string content) {
  return Node{std::move(tag), {}, std::move(content)};
}

std::string server() {
  return Jid::default_server().to_string();
}

}  // namespace

std::string qr_string(std::string_view ref, const store::Key32& noise_pub,
                      const store::Key32& identity_pub, const store::Key32& adv_secret,
                      std::string_view platform_id) {
  std::string s(kQrPrefix);
  s += ref;
  s += ',';
  s += base64(noise_pub);
  s += ',';
  s += base64(identity_pub);
  s += ',';
  s += base64(adv_secret);
  s += ',';
  s += platform_id;
  return s;
}

std::vector<std::string> pair_device_refs(const Node& iq) {
  std::vector<std::string> refs;
  const auto* pd = iq.child("pair-device");
  if (!pd) return refs;
  for (const auto& c : pd->children()) {
    if (c.tag != "ref") continue;
    const auto v = c.content_view();
    if (!v.empty()) refs.emplace_back(v);
  }
  return refs;
}

std::optional<Node> ack_for(const Node& s) {
  const auto* id = s.attr("id");
  if (!id) return std::nullopt;
  Node ack{"ack", {{"class", s.tag}, {"id", *id}}, {}};
  if (const auto* from = s.attr("from")) ack.attrs.emplace_back("to", *from);
  if (const auto* p = s.attr("participant")) ack.attrs.emplace_back("participant", *p);
  if (const auto* r = s.attr("recipient")) ack.attrs.emplace_back("recipient", *r);
  // whatsmeow echoes the type for everything but messages.
  if (const auto* t = s.attr("type"); t && s.tag != "message") ack.attrs.emplace_back("type", *t);
  return ack;
}

Node iq_result_for(const Node& iq) {
  Node r{"iq", {}, {}};
  r.attrs.emplace_back("to", iq.attr("from") ? *iq.attr("from") : server());
  r.attrs.emplace_back("type", "result");
  if (const auto* id = iq.attr("id")) r.attrs.emplace_back("id", *id);
  return r;
}

Node iq_error_for(const Node& iq, int code, std::string_view text) {
  Node r{"iq", {}, {}};
  r.attrs.emplace_back("to", iq.attr("from") ? *iq.attr("from") : server());
  r.attrs.emplace_back("type", "error");
  if (const auto* id = iq.attr("id")) r.attrs.emplace_back("id", *id);
  r.content = std::vector<Node>{
      Node{"error", {{"code", std::to_string(code)}, {"text", std::string(text)}}, {}}};
  return r;
}

Node server_iq(std::string_view xmlns, std::string_view type, std::vector<Node> children) {
  Node n{"iq", {{"xmlns", std::string(xmlns)}, {"type", std::string(type)}, {"to", server()}}, {}};
  if (!children.empty()) n.content = std::move(children);
  return n;
}

Node keepalive_ping() {
  return server_iq("w:p", "get");
}

Node prekey_count_query() {
  return server_iq("encrypt", "get", {Node{"count", {}, {}}});
}

std::optional<int> count_value(const Node& s) {
  const auto* c = s.child("count");
  const auto* v = c ? c->attr("value") : nullptr;
  if (!v) return std::nullopt;
  int n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || p != v->data() + v->size() || n < 0) return std::nullopt;
  return n;
}

std::size_t prekeys_to_upload(int server_count) noexcept {
  if (server_count <= 0) return kPrekeyInitialUpload;
  if (server_count < kPrekeyLowWater) return kPrekeyTopUp;
  return 0;
}

Node prekey_upload(const store::DeviceRecord& d, std::span<const store::PreKey> keys) {
  std::vector<Node> list;
  list.reserve(keys.size());
  for (const auto& k : keys)
    list.push_back(Node{
        "key", {}, std::vector<Node>{leaf("id", be(k.id, 3)), leaf("value", bytes(k.key.pub))}});
  std::vector<Node> skey{leaf("id", be(d.signed_prekey.id, 3)),
                         leaf("value", bytes(d.signed_prekey.key.pub)),
                         leaf("signature", bytes(d.signed_prekey.signature))};
  return server_iq("encrypt", "set",
                   {leaf("registration", be(d.registration_id, 4)), leaf("type", binary::Bytes{5}),
                    leaf("identity", bytes(d.identity_key.pub)), Node{"list", {}, std::move(list)},
                    Node{"skey", {}, std::move(skey)}});
}

Node set_passive(bool passive) {
  return server_iq("passive", "set", {Node{passive ? "passive" : "active", {}, {}}});
}

Node presence_available(std::string_view push_name) {
  return Node{"presence", {{"type", "available"}, {"name", std::string(push_name)}}, {}};
}

Node remove_companion_device(const Jid& own) {
  return server_iq("md", "set",
                   {Node{"remove-companion-device",
                         {{"jid", own.to_string()}, {"reason", "user_initiated"}},
                         {}}});
}

Node companion_hello(std::string_view phone, std::span<const std::uint8_t> wrapped_ephemeral,
                     const store::Key32& noise_pub, std::string_view platform_id,
                     std::string_view platform_display) {
  Node reg{"link_code_companion_reg",
           {{"jid", Jid::user_jid(phone).to_string()},
            {"stage", "companion_hello"},
            {"should_show_push_notification", "true"}},
           std::vector<Node>{
               leaf("link_code_pairing_wrapped_companion_ephemeral_pub", bytes(wrapped_ephemeral)),
               leaf("companion_server_auth_key_pub", bytes(noise_pub)),
               leaf_text("companion_platform_id", std::string(platform_id)),
               leaf_text("companion_platform_display", std::string(platform_display)),
               leaf("link_code_pairing_nonce", binary::Bytes{0}),
           }};
  return server_iq("md", "set", {std::move(reg)});
}

Node companion_finish(std::string_view phone, std::span<const std::uint8_t> wrapped_key_bundle,
                      const store::Key32& identity_pub, std::string_view ref) {
  Node reg{"link_code_companion_reg",
           {{"jid", Jid::user_jid(phone).to_string()}, {"stage", "companion_finish"}},
           std::vector<Node>{
               leaf("link_code_pairing_wrapped_key_bundle", bytes(wrapped_key_bundle)),
               leaf("companion_identity_public", bytes(identity_pub)),
               leaf("link_code_pairing_ref", binary::Bytes(ref.begin(), ref.end())),
           }};
  return server_iq("md", "set", {std::move(reg)});
}

std::optional<std::string> child_bytes(const Node& parent, std::string_view tag) {
  const auto* c = parent.child(tag);
  if (!c) return std::nullopt;
  if (!std::holds_alternative<std::string>(c->content) &&
      !std::holds_alternative<binary::Bytes>(c->content))
    return std::nullopt;
  return std::string(c->content_view());
}

}  // namespace wa::client::stanza
