// Pairing of a new companion device (docs/PROTOCOL.md §4): the QR flow (pair-device, QR
// rotation, pair-success with its ADV verification) and the phone-number code flow (link-code
// hello, the phone's notification, the finishing IQ). Part of the connection life cycle of
// client.cpp; the state is declared in client_impl.hpp.
#include "client_impl.hpp"

namespace wa::client {

using detail::key32;

void Client::Impl::on_pair_device(const std::shared_ptr<Conn>& c, const Node& n) {
  send(c, stanza::iq_result_for(n));
  if (!c->registration() || c->qr_started) return log(1, "unexpected pair-device ignored");
  c->refs = stanza::pair_device_refs(n);
  c->qr_started = true;
  spawn(qr_rotation(c));
  if (phone_to_pair && !c->link_started) spawn(link_code_hello(c));
}

asio::awaitable<void> Client::Impl::qr_rotation(std::shared_ptr<Conn> c) {
  auto self = shared_from_this();
  auto d = load_device();
  if (!d || !d->has_value()) co_return;
  for (std::size_t i = 0; i < c->refs.size(); ++i) {
    if (c->state == ConnState::paired || c->ending) co_return;
    const auto ttl = i == 0 ? opt.qr_first : opt.qr_next;
    if (!phone_to_pair) {
      const auto& dev = **d;
      emit(QrCode{stanza::qr_string(c->refs[i], dev.noise_key.pub, dev.identity_key.pub,
                                    dev.adv_secret, opt.qr_platform_id),
                  std::chrono::ceil<std::chrono::seconds>(ttl), static_cast<int>(i)});
    }
    if (!co_await sleep(c, ttl)) co_return;
  }
  if (c->state != ConnState::paired)
    end(c, {DisconnectReason::qr_timeout,
            0,
            "all " + std::to_string(c->refs.size()) + " QR refs expired",
            {}});
}

void Client::Impl::on_pair_success(const std::shared_ptr<Conn>& c, const Node& n) {
  const std::string id = n.attr("id") ? *n.attr("id") : "";
  const auto fail = [&](pairing::AdvErrc code, std::string why) {
    log(1, "pair-success rejected: " + why);
    send(c, pairing::make_pair_error(id, code));
    emit(PairError{std::move(why)});
  };
  if (c->state != ConnState::registering)
    return fail(pairing::AdvErrc::malformed_stanza, "unexpected pair-success");
  auto ps = pairing::parse_pair_success(n);
  if (!ps) return fail(ps.code(), ps.error().message());
  auto d = load_device();
  if (!d || !d->has_value()) return fail(pairing::AdvErrc::store, "no device record");
  const auto& dev = **d;
  const auto adv = c->link_adv_secret.value_or(dev.adv_secret);
  auto v = pairing::verify_device_identity(ps->device_identity, adv, dev.identity_key);
  if (!v) return fail(v.code(), v.error().message());
  if (auto p = pairing::persist_pairing(store, *ps, *v); !p)
    return fail(p.code(), p.error().message());
  send(c, pairing::make_pair_device_sign(ps->iq_id, *v));
  c->advance(ConnState::paired);
  for (auto* t : c->sleepers) t->cancel();  // stops the QR rotation
  emit(Paired{ps->jid, ps->lid, ps->platform, ps->business_name});
}

asio::awaitable<void> Client::Impl::link_code_hello(std::shared_ptr<Conn> c) {
  auto self = shared_from_this();
  c->link_started = true;
  auto d = load_device();
  if (!d || !d->has_value() || !phone_to_pair) co_return;
  LinkCode lc;
  lc.phone = *phone_to_pair;
  lc.code = generate_pair_code();
  lc.ephemeral = crypto::generate_key_pair();
  // PBKDF2 with 2^17 rounds takes a few ms of CPU on the strand; pairing is rare.
  auto wrapped = wrap_ephemeral_key(lc.code, lc.ephemeral.pub);
  if (!wrapped) co_return emit(PairError{"pair code: " + wrapped.error().message()});
  auto r = co_await iq(c, stanza::companion_hello(lc.phone, *wrapped, (**d).noise_key.pub,
                                                  opt.qr_platform_id, opt.platform_display));
  if (!r) {
    if (!c->ending) emit(PairError{"companion_hello: " + r.error().message()});
    co_return;
  }
  const auto* reg = r->child("link_code_companion_reg");
  auto ref = reg ? stanza::child_bytes(*reg, "link_code_pairing_ref") : std::nullopt;
  if (!ref || ref->empty())
    co_return emit(PairError{"companion_hello answer without link_code_pairing_ref"});
  lc.ref = *ref;
  const auto shown = format_pair_code(lc.code);
  c->link = std::move(lc);
  emit(PairCode{shown});
}

void Client::Impl::on_link_code_notification(const std::shared_ptr<Conn>& c, const Node& n) {
  const auto* reg = n.child("link_code_companion_reg");
  if (!reg || !c->link || c->state != ConnState::registering)
    return log(1, "unexpected link-code notification ignored");
  auto ref = stanza::child_bytes(*reg, "link_code_pairing_ref");
  auto primary = stanza::child_bytes(*reg, "primary_identity_pub");
  auto wrapped = stanza::child_bytes(*reg, "link_code_pairing_wrapped_primary_ephemeral_pub");
  if (!ref || *ref != c->link->ref) return log(1, "link-code notification for another ref ignored");
  if (!primary || primary->size() != 32 || !wrapped || wrapped->size() != kWrappedKeySize)
    return emit(PairError{"link-code notification with malformed keys"});
  auto d = load_device();
  if (!d || !d->has_value()) return;
  const auto& dev = **d;
  crypto::KeyPair identity{dev.identity_key.priv, dev.identity_key.pub};
  auto fin = finish_pair_code(
      c->link->code, c->link->ephemeral, identity, key32(*primary),
      std::span(reinterpret_cast<const std::uint8_t*>(wrapped->data()), wrapped->size()));
  if (!fin) return emit(PairError{"link code: " + fin.error().message()});
  c->link_adv_secret = fin->adv_secret;
  spawn(link_code_finish(c, std::move(fin->wrapped_key_bundle), dev.identity_key.pub));
}

asio::awaitable<void> Client::Impl::link_code_finish(std::shared_ptr<Conn> c, crypto::Bytes bundle,
                                                     store::Key32 identity_pub) {
  auto self = shared_from_this();
  auto r =
      co_await iq(c, stanza::companion_finish(c->link->phone, bundle, identity_pub, c->link->ref));
  if (!r && !c->ending && c->state != ConnState::paired)
    emit(PairError{"companion_finish: " + r.error().message()});
}

void Client::Impl::do_pair_phone(const std::string& phone) {
  std::string digits;
  for (char ch : phone)
    if (ch >= '0' && ch <= '9') digits.push_back(ch);
  if (digits.empty()) return emit(PairError{"pair_phone: no digits in the phone number"});
  phone_to_pair = digits;
  if (conn && conn->state == ConnState::registering && conn->qr_started && !conn->link_started)
    spawn(link_code_hello(conn));
}

}  // namespace wa::client
