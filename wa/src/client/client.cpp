// The client's connection life cycle (docs/PROTOCOL.md §2, §4, §5, §9). One coroutine `run` per
// started client loops over connections (`session`); each connection has a reader (this file's
// `session`), one writer with a bounded queue, and short tasks (QR rotation, post-login setup,
// keepalive, phone pairing). Everything runs on the client's strand, so no locking.
// The state (Conn, Client::Impl) is declared in client_impl.hpp. By concern: pairing.cpp (QR and
// phone-code pairing), prekeys.cpp, keepalive.cpp, notifications.cpp, and the message paths in
// messaging.cpp; this file keeps the loop, the reader and writer, login and the public API.
#include "client_impl.hpp"

namespace wa::client {

std::string_view event_name(const Event& e) noexcept {
  struct Names {
    std::string_view operator()(const QrCode&) const { return "qr"; }
    std::string_view operator()(const PairCode&) const { return "pair_code"; }
    std::string_view operator()(const Paired&) const { return "paired"; }
    std::string_view operator()(const PairError&) const { return "pair_error"; }
    std::string_view operator()(const Connected&) const { return "connected"; }
    std::string_view operator()(const Disconnected&) const { return "disconnected"; }
    std::string_view operator()(const LoggedOut&) const { return "logged_out"; }
    std::string_view operator()(const QrTimeout&) const { return "qr_timeout"; }
    std::string_view operator()(const PrekeysUploaded&) const { return "prekeys_uploaded"; }
    std::string_view operator()(const MessageReceived&) const { return "message"; }
    std::string_view operator()(const ReceiptReceived&) const { return "receipt"; }
    std::string_view operator()(const UndecryptableMessage&) const { return "undecryptable"; }
  };
  return std::visit(Names{}, e);
}

std::uint64_t Client::Impl::seed() const {
  if (opt.seed != 0) return opt.seed;
  std::array<std::uint8_t, 8> b{};
  crypto::random_bytes(b);
  std::uint64_t v = 0;
  for (auto x : b) v = v << 8 | x;
  return v;
}

void Client::Impl::log(int level, std::string_view msg) const {
  if (opt.log && alive) opt.log(level, msg);
}

void Client::Impl::emit(const Event& e) {
  if (alive && on_event) on_event(e);
}

store::StoreResult<std::optional<store::DeviceRecord>> Client::Impl::load_device() {
  auto d = store.load_device();
  if (!d) log(1, "store: " + d.error().message());
  return d;
}

bool Client::Impl::send(const std::shared_ptr<Conn>& c, const Node& n) {
  if (c->ending) return false;
  auto bytes = binary::encode(n);
  if (!bytes) {
    log(1, "cannot encode <" + n.tag + ">: " + bytes.error().message());
    return false;
  }
  if (c->out.size() >= opt.max_send_queue) {
    end(c, {DisconnectReason::transient, 0, "send queue full", {}});
    return false;
  }
  c->out.push_back(std::move(*bytes));
  c->wake.cancel();
  return true;
}

asio::awaitable<Result<Node>> Client::Impl::iq(std::shared_ptr<Conn> c, Node n,
                                               std::optional<milliseconds> timeout) {
  if (c->ending) co_return Error{Errc::client_disconnected, "connection ending"};
  auto id = c->iq.next_id();
  n.attrs.emplace_back("id", id);
  if (!send(c, n)) co_return Error{Errc::client_disconnected, "connection ending"};
  co_return co_await c->iq.wait(std::move(id), timeout.value_or(opt.iq_timeout));
}

asio::awaitable<bool> Client::Impl::sleep(std::shared_ptr<Conn> c, milliseconds d) {
  if (c->ending) co_return false;
  asio::steady_timer t(strand);
  t.expires_after(d);
  c->sleepers.insert(&t);
  co_await t.async_wait(kNoThrow);
  c->sleepers.erase(&t);
  co_return !c->ending;
}

void Client::Impl::end(const std::shared_ptr<Conn>& c, DisconnectInfo info) {
  if (c->ending) return;
  c->ending = true;
  c->end_info = std::move(info);
  for (auto* t : c->sleepers) t->cancel();
  c->wake.cancel();
  c->iq.fail_all(Error{Errc::client_disconnected, std::string(to_string(c->end_info->reason))});
  // Sends waiting for their server ack fail at once too: the ack cannot come on a new connection.
  c->acks.fail_all(
      Error{Errc::client_disconnected, "connection lost before the server's ack (" +
                                           std::string(to_string(c->end_info->reason)) + ")"});
  c->media_retries.fail_all(
      Error{Errc::client_disconnected, "connection lost before the phone re-uploaded the media (" +
                                           std::string(to_string(c->end_info->reason)) + ")"});
}

void Client::Impl::spawn(asio::awaitable<void> task) {
  asio::co_spawn(strand, std::move(task), asio::detached);
}

asio::awaitable<void> Client::Impl::writer(std::shared_ptr<Conn> c) {
  for (;;) {
    if (c->out.empty()) {
      if (c->ending) break;
      c->wake.expires_at(Clock::time_point::max());
      co_await c->wake.async_wait(kNoThrow);
      continue;
    }
    auto frame = std::move(c->out.front());
    c->out.pop_front();
    auto r = co_await c->sock->write_frame(frame);
    if (!r) {
      end(c, {DisconnectReason::transient, 0, "write: " + r.error().message(), {}});
      c->out.clear();
      break;
    }
  }
  co_await c->sock->close();
  c->writer_done = true;
  c->writer_done_timer.cancel();
}

asio::awaitable<void> Client::Impl::run() {
  auto self = shared_from_this();
  bool cert_failure = false;
  while (alive && !stop_requested) {
    if ((opt.may_connect && !opt.may_connect()) ||
        (opt.kill_switch && opt.kill_switch->tripped())) {
      emit(Disconnected{DisconnectReason::user_requested, 0, "not allowed to connect", false, {}});
      break;
    }
    auto info = co_await session(cert_failure);
    if (!alive) break;
    const bool logout = logout_requested;
    // A tripped kill switch ends the run at once (no backoff, no reconnect); a logout the server
    // announced on the way out is still honoured.
    const bool cut = opt.kill_switch && opt.kill_switch->tripped();
    if (logout || stop_requested || (cut && !should_wipe_device(info.reason))) {
      info.reason = DisconnectReason::user_requested;
      if (cut) info.detail = "connection cut (kill switch)";
    }
    // The restart after pairing is part of pairing, not a reconnect policy.
    bool again = !stop_requested && !cut && !cert_failure &&
                 (info.reason == DisconnectReason::restart_required ||
                  (opt.auto_reconnect && should_reconnect(info.reason)));
    milliseconds delay{0};
    if (again && info.reason != DisconnectReason::restart_required) delay = backoff.next();
    emit(Disconnected{info.reason, info.code, info.detail, again, delay});
    if (logout || should_wipe_device(info.reason)) {
      if (auto w = store.wipe(); !w) log(1, "store wipe failed: " + w.error().message());
      reset_messaging();
      emit(LoggedOut{logout ? DisconnectReason::user_requested : info.reason});
    }
    if (info.reason == DisconnectReason::qr_timeout) emit(QrTimeout{});
    if (!again) break;
    if (delay.count() > 0) {
      reconnect_timer.expires_after(delay);
      co_await reconnect_timer.async_wait(kNoThrow);
      if (stop_requested && alive)
        emit(Disconnected{DisconnectReason::user_requested, 0, {}, false, {}});
    }
  }
  running = false;
  logout_requested = false;
}

asio::awaitable<DisconnectInfo> Client::Impl::session(bool& cert_failure) {
  cert_failure = false;
  auto dev = load_device();
  if (!dev)
    co_return DisconnectInfo{DisconnectReason::rejected, 0, "store: cannot load device", {}};
  if (!dev->has_value()) {
    auto fresh = signal::new_device_record();
    if (!fresh)
      co_return DisconnectInfo{
          DisconnectReason::rejected, 0, "keys: " + fresh.error().message(), {}};
    if (!opt.push_name.empty()) fresh->push_name = opt.push_name;
    if (auto s = store.save_device(*fresh); !s)
      co_return DisconnectInfo{DisconnectReason::rejected, 0, "store: " + s.error().message(), {}};
    *dev = std::move(*fresh);
  }
  const store::DeviceRecord& d = **dev;
  const bool registering = !d.paired();
  auto payload = registering ? registration_payload(d, opt) : login_payload(d, opt);
  if (!payload)
    co_return DisconnectInfo{DisconnectReason::rejected, 0, payload.error().message(), {}};

  noise::ConnectOptions co;
  co.websocket.url = opt.url;
  co.websocket.connect_timeout = opt.connect_timeout;
  co.websocket.extra_ca_file = opt.extra_ca_file;
  co.websocket.kill_switch = opt.kill_switch;
  co.handshake_timeout = opt.connect_timeout;
  co.cert.root_key = opt.root_key;
  crypto::KeyPair noise_key{d.noise_key.priv, d.noise_key.pub};
  auto opened = co_await noise::NoiseSocket::open(co, noise_key, std::move(*payload));
  if (auto* err = std::get_if<noise::OpenError>(&opened)) {
    // A certificate that does not verify will not verify on the next attempt either: fail closed.
    cert_failure = err->stage == noise::OpenStage::certificate;
    co_return DisconnectInfo{
        DisconnectReason::connect_failed,
        0,
        std::string(noise::stage_name(err->stage)) + ": " + err->error.message(),
        {}};
  }
  std::array<std::uint8_t, 4> prefix{};
  crypto::random_bytes(prefix);
  auto c = std::make_shared<Conn>(strand, wa::hex::encode(prefix));
  c->sock = std::move(std::get<0>(opened));
  c->state = registering ? ConnState::registering : ConnState::logging_in;
  conn = c;
  spawn(writer(c));
  if (stop_requested) end(c, {DisconnectReason::user_requested, 0, {}, {}});

  while (!c->ending) {
    auto frame = co_await c->sock->read_frame();
    if (c->ending) break;
    if (!frame) {
      end(c, {DisconnectReason::transient, 0, "read: " + frame.error().message(), {}});
      break;
    }
    auto node = binary::decode(*frame);
    if (!node) {
      log(1, "undecodable frame ignored: " + node.error().message());
      continue;
    }
    handle(c, *node);
  }
  while (!c->writer_done) {
    c->writer_done_timer.expires_at(Clock::time_point::max());
    co_await c->writer_done_timer.async_wait(kNoThrow);
  }
  if (conn == c) conn.reset();
  co_return *c->end_info;
}

void Client::Impl::handle(const std::shared_ptr<Conn>& c, const Node& n) {
  if (n.tag == "iq") return handle_iq(c, n);
  if (n.tag == "success") return on_success(c, n);
  if (n.tag == "failure") return end(c, from_failure(n));
  if (n.tag == "stream:error") return end(c, from_stream_error(n));
  if (n.tag == "xmlstreamend") return end(c, {DisconnectReason::transient, 0, "stream end", {}});
  if (n.tag == "notification") {
    if (auto a = stanza::ack_for(n)) send(c, *a);
    return handle_notification(c, n);
  }
  if (n.tag == "receipt") {
    if (auto a = stanza::ack_for(n)) send(c, *a);
    return on_receipt(c, n);
  }
  if (n.tag == "call") {
    if (auto a = stanza::ack_for(n)) send(c, *a);
    return log(0, "<call> acknowledged (not handled by this client)");
  }
  if (n.tag == "ack") return on_ack(c, n);
  if (n.tag == "ib") return;  // informational <ib>
  if (n.tag == "message") return on_message(c, n);
  log(0, "unknown stanza ignored: " + binary::to_debug_string(n).substr(0, 200));
}

void Client::Impl::handle_iq(const std::shared_ptr<Conn>& c, const Node& n) {
  const auto* type = n.attr("type");
  if (!type) return log(1, "iq without type ignored");
  if (*type == "result" || *type == "error") {
    if (!c->iq.resolve(n)) log(0, "late or unknown iq answer ignored");
    return;
  }
  if (*type != "get" && *type != "set") return log(1, "iq of unknown type ignored");
  if (n.child("pair-device")) return on_pair_device(c, n);
  if (n.child("pair-success")) return on_pair_success(c, n);
  const auto* xmlns = n.attr("xmlns");
  if (xmlns && *xmlns == "urn:xmpp:ping") {
    send(c, stanza::iq_result_for(n));
    return;
  }
  log(0, "unhandled server iq answered 501: " + binary::to_debug_string(n).substr(0, 200));
  send(c, stanza::iq_error_for(n, 501, "feature-not-implemented"));
}

void Client::Impl::on_success(const std::shared_ptr<Conn>& c, const Node& n) {
  if (!c->advance(ConnState::logged_in)) return log(1, "unexpected <success> ignored");
  backoff.reset();
  if (auto d = load_device(); d && d->has_value()) {
    auto dev = std::move(**d);
    bool changed = false;
    if (const auto* lid = n.attr("lid")) {
      if (auto j = Jid::parse(*lid); j && j->is_lid() && dev.lid != *j) {
        dev.lid = *j;
        changed = true;
      }
    }
    if (!opt.push_name.empty() && dev.push_name != opt.push_name) {
      dev.push_name = opt.push_name;
      changed = true;
    }
    if (changed) {
      if (auto s = store.save_device(dev); !s) log(1, "store: " + s.error().message());
    }
  }
  spawn(post_login(c));
}

asio::awaitable<void> Client::Impl::post_login(std::shared_ptr<Conn> c) {
  auto self = shared_from_this();
  const auto fail = [&](const std::string& what, const Error& e) {
    if (!c->ending) end(c, {DisconnectReason::transient, 0, what + ": " + e.message(), {}});
  };
  auto count = co_await iq(c, stanza::prekey_count_query());
  if (!count) co_return fail("prekey count", count.error());
  const int server_count = stanza::count_value(*count).value_or(0);
  if (auto up = co_await upload_prekeys(c, stanza::prekeys_to_upload(server_count), server_count);
      !up)
    co_return fail("prekey upload", up.error());
  auto active = co_await iq(c, stanza::set_passive(false));
  if (!active) co_return fail("passive", active.error());
  auto d = load_device();
  if (!d || !d->has_value())
    co_return fail("store", Error{Errc::invalid_argument, "device record vanished"});
  const auto& dev = **d;
  const auto& push = opt.push_name.empty() ? dev.push_name : opt.push_name;
  if (!push.empty()) {
    send(c, stanza::presence_available(push));
    c->active = true;
  } else {
    log(0, "no push name: presence not sent");
  }
  if (c->ending) co_return;
  c->advance(ConnState::ready);
  emit(Connected{*dev.jid, dev.lid});
  spawn(keepalive(c));
}

void Client::Impl::do_connect() {
  if (running) return;
  running = true;
  stop_requested = false;
  spawn(run());
}

void Client::Impl::do_disconnect() {
  stop_requested = true;
  reconnect_timer.cancel();
  if (conn) end(conn, {DisconnectReason::user_requested, 0, {}, {}});
}

asio::awaitable<Result<void>> Client::Impl::do_logout() {
  auto self = shared_from_this();
  auto c = conn;
  if (!c || !c->ready()) co_return Error{Errc::client_disconnected, "not logged in"};
  auto d = load_device();
  if (!d || !d->has_value() || !(**d).jid)
    co_return Error{Errc::client_disconnected, "no paired device"};
  logout_requested = true;
  stop_requested = true;
  reconnect_timer.cancel();
  auto r = co_await iq(c, stanza::remove_companion_device(*(**d).jid));
  // Like Baileys, the local device is dropped whatever the server said; the error is reported.
  end(c, {DisconnectReason::user_requested, 0, "logout", {}});
  reset_messaging();
  if (auto w = store.wipe(); !w)
    co_return Error{Errc::invalid_argument, "store wipe: " + w.error().message()};
  if (!r && r.code() != Errc::client_disconnected) co_return r.error();
  co_return Result<void>{};
}

Client::Client(asio::any_io_executor ex, store::DeviceStore& store, Options options,
               EventHandler on_event)
    : impl_(std::make_shared<Impl>(std::move(ex), store, std::move(options), std::move(on_event))) {
}

Client::~Client() {
  impl_->alive = false;
  asio::post(impl_->strand, [impl = impl_] { impl->do_disconnect(); });
}

void Client::connect() {
  asio::post(impl_->strand, [impl = impl_] { impl->do_connect(); });
}

void Client::disconnect() {
  asio::post(impl_->strand, [impl = impl_] { impl->do_disconnect(); });
}

void Client::pair_phone(std::string phone) {
  asio::post(impl_->strand,
             [impl = impl_, p = std::move(phone)]() mutable { impl->do_pair_phone(p); });
}

asio::awaitable<Result<void>> Client::logout() {
  auto impl = impl_;
  co_return co_await asio::co_spawn(impl->strand, impl->do_logout(), asio::use_awaitable);
}

}  // namespace wa::client
