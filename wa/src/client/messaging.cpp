// Messages of the client (docs/PROTOCOL.md §6, §7): the receive path (on_message: parse,
// address, decrypt, event, receipt; retry receipts on failure), receipts and notifications that
// concern sessions, and the send path (1:1 fan-out with deviceSentMessage, groups with sender keys,
// retry answers). The protocol logic is in receive.cpp / send.cpp; this file sequences it with the
// Signal layer, the store and the connection (client_impl.hpp).
#include <algorithm>

#include "client_impl.hpp"

namespace wa::client {

using detail::as_bytes;

void Client::Impl::reset_messaging() {
  signal.reset();
  device_cache.clear();
  group_cache.clear();
  retries.clear();
  recent_sent.clear();
}

signal::SignalProtocol* Client::Impl::ensure_signal() {
  if (signal) return signal.get();
  auto s = signal::SignalProtocol::create(store);
  if (!s) {
    log(1, "signal: " + s.error().message());
    return nullptr;
  }
  signal = std::move(*s);
  return signal.get();
}

std::optional<receive::Own> Client::Impl::own_identity() {
  auto d = load_device();
  if (!d || !d->has_value() || !(**d).jid) return std::nullopt;
  return receive::Own{*(**d).jid, (**d).lid};
}

void Client::Impl::on_message(const std::shared_ptr<Conn>& c, const Node& n) {
  const auto own = own_identity();
  auto* sig = ensure_signal();
  if (!own || !sig) {
    // Not acknowledged: the server keeps it and redelivers it once we can decrypt. Reported like
    // any message that could not be stored (the device store not answering is the usual cause),
    // so that the application holds back the later ones and reconnects to get it again first.
    log(1, "<message> left unacknowledged: no device or Signal layer");
    if (const auto* id = n.attr("id"); id && opt.unstored) opt.unstored(*id);
    return;
  }
  auto src = receive::parse_source(n, *own);
  if (!src) {
    ++undecryptable;
    log(1, "malformed <message> nacked: " + src.error().message());
    if (auto a = stanza::ack_for(n)) {
      a->attrs.emplace_back("error", "487");
      send(c, *a);
    }
    return;
  }
  auto addr = receive::decryption_address(store, *src);
  if (!addr) {
    // The store failed: leave the message with the server (redelivered on the next login).
    log(1, "message " + src->id + " left unacknowledged: " + addr.error().message());
    if (opt.unstored) opt.unstored(src->id);
    return;
  }
  // Decrypting and persisting the message form one store transaction: the application's
  // Options::persist hook stores the message with the Signal state that decrypted it, so a crash
  // can neither lose a message whose ratchet advanced nor keep one that was not acknowledged.
  std::optional<Result<receive::Decrypted>> dec;
  std::optional<MessageReceived> event;
  bool refused = false;
  auto tx = store.transaction([&]() -> store::StoreResult<void> {
    dec.emplace(receive::decrypt(*sig, n, *src, *addr));
    if (!*dec) return {};  // the Signal calls rolled themselves back; answered below
    const auto type = (*dec)->content.type;
    if (type == message::ContentType::none || type == message::ContentType::protocol) return {};
    event = receive::to_event(*src, (*dec)->content, *own);
    if (const auto it = retries.find(src->id); it != retries.end()) event->retry_count = it->second;
    if (opt.persist && !opt.persist(*event)) {
      refused = true;
      return store::StoreError{store::StoreErrc::backend, "the application did not store it"};
    }
    return {};
  });
  if (!tx || refused) {
    // Nothing committed: the server redelivers the message (next login) and it decrypts again.
    log(1, "message " + src->id + " left unacknowledged: " +
               (refused ? std::string("not stored by the application") : tx.error().message()));
    if (opt.unstored) opt.unstored(src->id);
    return;
  }
  if (!*dec) return on_decrypt_failure(c, n, *src, dec->error());
  retries.erase(src->id);
  if (!event) {
    const auto type = (*dec)->content.type;
    log(0, "message " + src->id + " from " + src->sender.to_string() +
               " carries no user content (" + std::string(message::to_string(type)) + ")");
  } else {
    emit(std::move(*event));
  }
  send(c, receive::receipt_for(n, *src, c->active));
}

namespace {
UndecryptableMessage undecryptable_event(const receive::Source& src, const Error& err, int count) {
  UndecryptableMessage u;
  u.id = src.id;
  u.chat = src.chat;
  u.sender = src.sender;
  u.reason = err.message();
  u.retry_count = count;
  u.is_group = src.is_group;
  u.sender_pn = src.sender_pn;
  u.sender_lid = src.sender_lid;
  u.timestamp = src.timestamp;
  return u;
}
}  // namespace

void Client::Impl::on_decrypt_failure(const std::shared_ptr<Conn>& c, const Node& n,
                                      const receive::Source& src, const Error& err) {
  // A replay of a message we already decrypted (redelivery after a lost receipt): acknowledge.
  if (err.detail.find("duplicate_message") != std::string::npos) {
    log(0, "duplicate message " + src.id + " acknowledged again");
    return void(send(c, receive::receipt_for(n, src, c->active)));
  }
  ++undecryptable;
  if (retries.size() >= kMaxRetryEntries) retries.erase(retries.begin());
  const int count = ++retries[src.id];
  log(1, "cannot decrypt message " + src.id + " from " + src.sender.to_string() + " (attempt " +
             std::to_string(count) + "): " + err.message());
  if (count > kMaxRetries) {
    log(1, "message " + src.id + " given up after " + std::to_string(kMaxRetries) + " retries");
    retries.erase(src.id);
    if (auto a = stanza::ack_for(n)) {
      a->attrs.emplace_back("error", "500");
      send(c, *a);
    }
    return emit(undecryptable_event(src, err, 0));
  }
  auto d = load_device();
  if (!d || !d->has_value()) return;
  // Our keys go along from the second attempt, or at once when our side of the session is
  // unusable: the sender then builds a new session instead of re-encrypting on the broken one.
  const auto reason = receive::retry_reason(err);
  std::optional<store::PreKey> key;
  if (count > 1 || receive::needs_new_session(reason)) {
    if (auto keys = signal::get_or_generate_prekeys(store, 1); keys && !keys->empty())
      key = keys->front();
  }
  send(c, receive::retry_receipt(n, count, reason, **d, key));
  emit(undecryptable_event(src, err, count));
}

void Client::Impl::on_receipt(const std::shared_ptr<Conn>& c, const Node& n) {
  if (auto retry = receive::parse_retry(n)) return spawn(answer_retry(c, std::move(*retry)));
  if (auto r = receive::parse_receipt(n)) emit(std::move(*r));
}

void Client::Impl::on_ack(const std::shared_ptr<Conn>& c, const Node& n) {
  const auto* cls = n.attr("class");
  const auto* id = n.attr("id");
  if (!cls || *cls != "message" || !id) return;
  const auto a = send::parse_message_ack(n);
  if (a.error != 0) {
    // IqTracker's error form carries the code through to the waiter.
    Node err{"iq",
             {{"id", *id}, {"type", "error"}},
             std::vector<Node>{Node{"error", {{"code", std::to_string(a.error)}}, {}}}};
    c->acks.resolve(err);
    return;
  }
  c->acks.resolve(n);
}

void Client::Impl::on_identity_change(const Node& n) {
  for (const char* key : {"from", "lid"}) {
    const auto* a = n.attr(key);
    if (!a) continue;
    auto j = Jid::parse(*a);
    if (!j) continue;
    const auto name = signal::signal_address(j->to_non_ad()).name;
    auto s = store.sessions().delete_all_sessions(name);
    auto i = store.identities().delete_all_identities(name);
    if (!s || !i) log(1, "identity change of " + *a + ": store error");
    device_cache.erase(j->to_non_ad().to_string());
    log(0, "identity of " + *a + " changed: sessions dropped");
  }
}

store::Address Client::Impl::address_for(const Jid& device) {
  if (device.is_pn()) {
    if (auto lid = store.lid_map().lid_for_pn(device.user); lid && *lid)
      return signal::signal_address(Jid::lid(**lid).with_device(device.device_or_zero()));
  }
  return signal::signal_address(device);
}

asio::awaitable<Result<std::map<std::string, std::vector<std::uint16_t>>>> Client::Impl::devices_of(
    std::shared_ptr<Conn> c, std::vector<Jid> users) {
  std::map<std::string, std::vector<std::uint16_t>> out;
  std::vector<Jid> missing;
  for (const auto& u : users) {
    const auto key = u.to_non_ad().to_string();
    if (auto it = device_cache.find(key); it != device_cache.end())
      out[key] = it->second;
    else
      missing.push_back(u.to_non_ad());
  }
  if (missing.empty()) co_return out;
  auto r = co_await iq(c, send::usync_devices_query(missing, c->iq.next_id()));
  if (!r) co_return r.error();
  std::vector<store::LidMapping> pairs;
  for (auto& u : send::parse_usync_devices(*r)) {
    if (u.lid && u.user.is_pn()) pairs.push_back({u.lid->user, u.user.user});
    const auto key = u.user.to_string();
    device_cache[key] = u.devices;
    out[key] = std::move(u.devices);
  }
  if (!pairs.empty()) {
    if (auto m = store.lid_map().put_lid_mappings(pairs); !m)
      log(1, "store: " + m.error().message());
  }
  co_return out;
}

asio::awaitable<Result<std::set<std::string>>> Client::Impl::ensure_sessions(
    std::shared_ptr<Conn> c, std::vector<Jid> devices, bool force) {
  std::set<std::string> failed;
  std::vector<Jid> fetch;
  for (const auto& d : devices) {
    auto has = signal->has_session(address_for(d));
    if (force || !has || !*has) fetch.push_back(d);
  }
  if (fetch.empty()) co_return failed;
  auto r = co_await iq(c, send::prekey_fetch_query(fetch));
  if (!r) co_return r.error();
  std::set<std::string> answered;
  for (auto& [jid, bundle] : send::parse_prekey_bundles(*r)) {
    answered.insert(jid.to_string());
    if (!bundle) {
      log(1, "no bundle for " + jid.to_string() + ": " + bundle.error().message());
      failed.insert(jid.to_string());
      continue;
    }
    if (auto p = signal->process_bundle(address_for(jid), *bundle); !p) {
      log(1, "bad bundle for " + jid.to_string() + ": " + p.error().message());
      failed.insert(jid.to_string());
    }
  }
  for (const auto& d : fetch)
    if (!answered.contains(d.to_string())) failed.insert(d.to_string());
  co_return failed;
}

void Client::Impl::remember_sent(std::string id, Jid chat, const send::Composed& composed) {
  if (recent_sent.size() >= kRecentSent) recent_sent.pop_front();
  recent_sent.push_back(
      {std::move(id), std::move(chat), composed.message, composed.stanza_type, composed.mediatype});
}

asio::awaitable<Result<GroupInfo>> Client::Impl::group_info_of(std::shared_ptr<Conn> c, Jid group,
                                                               bool refresh) {
  const auto key = group.to_non_ad().to_string();
  if (!refresh) {
    if (auto it = group_cache.find(key); it != group_cache.end()) co_return it->second;
  }
  auto r = co_await iq(c, send::group_info_query(group));
  if (!r) co_return r.error();
  auto info = send::parse_group_info(*r, group);
  if (!info) co_return info.error();
  std::vector<store::LidMapping> pairs;
  for (const auto& p : info->participants)
    if (p.pn && p.lid) pairs.push_back({p.lid->user, p.pn->user});
  if (!pairs.empty()) {
    if (auto m = store.lid_map().put_lid_mappings(pairs); !m)
      log(1, "store: " + m.error().message());
  }
  if (group_cache.size() >= kGroupCache) group_cache.erase(group_cache.begin());
  group_cache[key] = *info;
  co_return std::move(*info);
}

asio::awaitable<std::optional<Result<GroupInfo>>> Client::Impl::do_group_info(Jid group) {
  auto self = shared_from_this();
  auto c = conn;
  if (!c || !c->ready()) co_return Result<GroupInfo>(Errc::client_disconnected, "not logged in");
  co_return co_await group_info_of(c, std::move(group), true);
}

asio::awaitable<Result<SendResult>> Client::Impl::send_group(std::shared_ptr<Conn> c,
                                                             const store::DeviceRecord& dev,
                                                             Jid group, send::Composed composed) {
  auto info = co_await group_info_of(c, group, false);
  if (!info) co_return info.error();
  const bool lid_mode = info->addressing_mode == "lid";
  if (lid_mode && !dev.lid) co_return Error{Errc::invalid_argument, "lid group without own LID"};
  const Jid own_device = lid_mode ? *dev.lid : *dev.jid;
  std::vector<Jid> users;
  for (const auto& p : info->participants) users.push_back(p.jid);
  auto lists = co_await devices_of(c, users);
  if (!lists) co_return lists.error();
  std::vector<Jid> devices;
  for (const auto& [user, ids] : *lists) {
    auto u = Jid::parse(user);
    if (!u) continue;
    for (auto id : ids) {
      const Jid d = id ? u->with_device(id) : *u;
      if (d.user == own_device.user && d.device_or_zero() == own_device.device_or_zero()) continue;
      devices.push_back(d);
    }
  }
  auto failed = co_await ensure_sessions(c, devices, false);
  if (!failed) co_return failed.error();
  const store::SenderKeyName self_key{group.to_non_ad().to_string(),
                                      signal::signal_address(lid_mode ? *dev.lid : *dev.jid)};
  auto skdm = signal->sender_key_distribution(self_key);
  if (!skdm) co_return Error{Errc::invalid_argument, "sender key: " + skdm.error().message()};
  const auto skdm_message = send::sender_key_distribution_message(group, *skdm);
  std::vector<send::DeviceCiphertext> encs;
  std::vector<std::string> hashed;
  for (const auto& d : devices) {
    if (failed->contains(d.to_string())) continue;
    auto ct = signal->encrypt(address_for(d), message::pad_random(as_bytes(skdm_message)));
    if (!ct) {
      log(1, "cannot encrypt for " + d.to_string() + ": " + ct.error().message());
      continue;
    }
    hashed.push_back(d.to_string());
    encs.push_back({d, std::move(*ct)});
  }
  hashed.push_back(own_device.to_string());
  const auto& message = composed.message;
  auto skmsg = signal->group_encrypt(self_key, message::pad_random(as_bytes(message)));
  if (!skmsg) co_return Error{Errc::invalid_argument, "skmsg: " + skmsg.error().message()};
  const auto id = message::new_message_id(dev.jid->user);
  remember_sent(id, group.to_non_ad(), composed);
  if (!send(c, send::group_message_stanza(id, group, info->addressing_mode, encs, *skmsg,
                                          dev.account, message::participant_hash(hashed),
                                          composed.stanza_type, composed.mediatype)))
    co_return Error{Errc::client_disconnected, "connection ending"};
  co_return co_await await_ack(c, id);
}

Result<void> Client::Impl::do_send_node(const Node& n) {
  auto c = conn;
  if (!c || !c->ready()) return Error{Errc::client_disconnected, "not logged in"};
  if (!send(c, n)) return Error{Errc::client_disconnected, "connection ending"};
  return {};
}

asio::awaitable<Result<SendResult>> Client::Impl::await_ack(std::shared_ptr<Conn> c,
                                                            std::string id) {
  auto ack = co_await c->acks.wait(id, opt.iq_timeout);
  if (!ack) {
    if (ack.code() == Errc::iq_error) co_return Error{Errc::message_rejected, ack.error().detail};
    co_return ack.error();
  }
  co_return SendResult{id, send::parse_message_ack(*ack).timestamp};
}

asio::awaitable<Result<SendResult>> Client::Impl::do_send(Jid to, send::Composed composed) {
  auto self = shared_from_this();
  auto c = conn;
  if (!c || !c->ready()) co_return Error{Errc::client_disconnected, "not logged in"};
  if (to.is_broadcast() || to.is_server() || to.is_newsletter())
    co_return Error{Errc::invalid_argument, "send: cannot send to " + to.to_string()};
  auto d = load_device();
  if (!d || !d->has_value() || !(**d).jid || !ensure_signal())
    co_return Error{Errc::client_disconnected, "no paired device"};
  const store::DeviceRecord& dev = **d;
  if (to.is_group()) co_return co_await send_group(c, dev, to, std::move(composed));
  const Jid chat = to.to_non_ad();
  const Jid own_user = dev.jid->to_non_ad();
  std::vector<Jid> users;
  users.push_back(chat);
  users.push_back(own_user);
  auto lists = co_await devices_of(c, std::move(users));
  if (!lists) co_return lists.error();
  std::vector<Jid> theirs, mine;
  for (auto id : (*lists)[chat.to_string()]) theirs.push_back(id ? chat.with_device(id) : chat);
  for (auto id : (*lists)[own_user.to_string()])
    if (id != dev.jid->device_or_zero()) mine.push_back(id ? own_user.with_device(id) : own_user);
  std::vector<Jid> all = theirs;
  all.insert(all.end(), mine.begin(), mine.end());
  auto failed = co_await ensure_sessions(c, all, false);
  if (!failed) co_return failed.error();

  const auto& message = composed.message;
  const auto own_copy = send::device_sent_message(message, chat);
  std::vector<send::DeviceCiphertext> encs;
  for (const auto& devjid : all) {
    if (failed->contains(devjid.to_string())) continue;
    const bool is_mine = devjid.user == own_user.user;
    const auto padded = message::pad_random(as_bytes(is_mine ? own_copy : message));
    auto ct = signal->encrypt(address_for(devjid), padded);
    if (!ct) {
      log(1, "cannot encrypt for " + devjid.to_string() + ": " + ct.error().message());
      continue;
    }
    encs.push_back({devjid, std::move(*ct)});
  }
  const bool none_of_theirs = std::none_of(
      encs.begin(), encs.end(), [&](const auto& e) { return e.device.user == chat.user; });
  if (none_of_theirs)
    co_return Error{Errc::message_undeliverable, "no device of " + chat.to_string()};
  const auto id = message::new_message_id(own_user.user);
  remember_sent(id, chat, composed);
  if (!send(c, send::message_stanza(id, chat, encs, dev.account, composed.stanza_type,
                                    composed.mediatype)))
    co_return Error{Errc::client_disconnected, "connection ending"};
  co_return co_await await_ack(c, id);
}

asio::awaitable<void> Client::Impl::answer_retry(std::shared_ptr<Conn> c, receive::RetryRequest r) {
  auto self = shared_from_this();
  const auto it = std::find_if(recent_sent.begin(), recent_sent.end(),
                               [&](const Sent& s) { return s.id == r.id; });
  if (it == recent_sent.end())
    co_return log(1, "retry receipt for unknown message " + r.id + " ignored");
  const Sent sent = *it;
  auto d = load_device();
  if (!d || !d->has_value() || !(**d).jid || !ensure_signal()) co_return;
  const store::DeviceRecord& dev = **d;
  const Jid device = r.participant ? *r.participant : r.from;
  const auto addr = address_for(device);
  bool have = false;
  if (r.bundle) {
    auto p = signal->process_bundle(addr, *r.bundle);
    have = p.ok();
    if (!p) log(1, "retry keys of " + device.to_string() + ": " + p.error().message());
  }
  if (!have) {
    std::vector<Jid> one(1, device);
    auto failed = co_await ensure_sessions(c, std::move(one), true);
    if (!failed || !failed->empty())
      co_return log(1, "retry of " + r.id + ": no session with " + device.to_string());
  }
  const bool is_mine = device.user == dev.jid->user || (dev.lid && device.user == dev.lid->user);
  const bool group = sent.chat.is_group();
  std::string plain = sent.message;
  if (group) {
    // Our sender key under the name send_group used (by the group's addressing mode).
    const auto cached = group_cache.find(sent.chat.to_string());
    const bool lid_mode =
        cached != group_cache.end() && cached->second.addressing_mode == "lid" && dev.lid;
    auto skdm = signal->sender_key_distribution(
        {sent.chat.to_string(), signal::signal_address(lid_mode ? *dev.lid : *dev.jid)});
    if (!skdm) co_return log(1, "retry of " + r.id + ": " + skdm.error().message());
    plain = send::with_sender_key_distribution(sent.message, sent.chat, *skdm);
  } else if (is_mine) {
    plain = send::device_sent_message(sent.message, sent.chat);
  }
  auto ct = signal->encrypt(addr, message::pad_random(as_bytes(plain)));
  if (!ct) co_return log(1, "retry of " + r.id + ": " + ct.error().message());
  Node enc{"enc",
           {{"v", "2"},
            {"type", std::string(signal::to_string(ct->type))},
            {"count", std::to_string(r.count)}},
           binary::Bytes(ct->data.begin(), ct->data.end())};
  if (!sent.mediatype.empty()) enc.attrs.emplace_back("mediatype", sent.mediatype);
  std::vector<Node> kids{std::move(enc)};
  if (ct->type == signal::MessageType::pkmsg && !dev.account.empty())
    kids.push_back(
        Node{"device-identity", {}, binary::Bytes(dev.account.begin(), dev.account.end())});
  Node m{"message", {{"id", r.id}, {"type", sent.stanza_type}}, std::move(kids)};
  if (group) {
    m.attrs.emplace_back("to", sent.chat.to_string());
    m.attrs.emplace_back("participant", device.to_string());
  } else {
    m.attrs.emplace_back("to", device.to_string());
    m.attrs.emplace_back("device_fanout", "false");
    if (is_mine) m.attrs.emplace_back("recipient", sent.chat.to_string());
  }
  send(c, m);
  log(0, "message " + r.id + " re-sent to " + device.to_string() + " (retry " +
             std::to_string(r.count) + ")");
}

asio::awaitable<Result<SendResult>> Client::send_text(Jid to, std::string text,
                                                      SendOptions options) {
  OutgoingMessage m = out::Text{std::move(text)};
  co_return co_await send_message(std::move(to), std::move(m), std::move(options));
}

namespace {

// The composed message is sent on the strand. A coroutine function: the frame owns its arguments
// (co_spawn's completion needs a default-constructible value: the Result rides in an optional).
asio::awaitable<std::optional<Result<SendResult>>> send_task(std::shared_ptr<Client::Impl> impl,
                                                             Jid to, send::Composed composed) {
  co_return co_await impl->do_send(std::move(to), std::move(composed));
}

}  // namespace

asio::awaitable<Result<SendResult>> Client::send_message(Jid to, OutgoingMessage message,
                                                         SendOptions options) {
  auto impl = impl_;
  if (to.is_broadcast() || to.is_server() || to.is_newsletter())
    co_return Error{Errc::invalid_argument, "send: cannot send to " + to.to_string()};
  // Attachments: dimensions, thumbnail and page count from the bytes, then encrypt and upload —
  // all on the caller's executor, before the strand is involved.
  const media::UploadedMedia* uploaded = nullptr;
  if (auto* in = media_input(message)) {
    complete_media_fields(message);
    if (!in->uploaded) {
      if (in->bytes.empty())
        co_return Error{Errc::invalid_argument, "an attachment needs bytes or an upload"};
      auto up = co_await upload_media(*media_type(message), in->bytes);
      if (!up) co_return up.error();
      in->uploaded = std::move(*up);
    }
    uploaded = &*in->uploaded;
  }
  auto composed = send::compose(message, uploaded, options);
  if (!composed) co_return composed.error();
  auto r =
      co_await asio::co_spawn(impl->strand, send_task(impl, to, *composed), asio::use_awaitable);
  co_return std::move(*r);
}

namespace {
// A coroutine function, not a capturing lambda: the frame owns its arguments. It first yields to
// the strand's queue, so that a call made from inside the event handler (e.g. mark_read for the
// message just received) goes out after that message's own receipt, never before it.
asio::awaitable<Result<void>> send_node_task(std::shared_ptr<Client::Impl> impl, Node node) {
  co_await asio::post(impl->strand, asio::use_awaitable);
  co_return impl->do_send_node(node);
}
}  // namespace

asio::awaitable<Result<void>> Client::mark_read(Jid chat, std::vector<std::string> ids,
                                                std::optional<Jid> sender) {
  if (ids.empty()) co_return Error{Errc::invalid_argument, "mark_read without ids"};
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto node = send::read_receipt(chat, ids, sender, now);
  co_return co_await asio::co_spawn(impl_->strand, send_node_task(impl_, std::move(node)),
                                    asio::use_awaitable);
}

asio::awaitable<Result<void>> Client::send_chat_presence(Jid chat, bool composing) {
  co_return co_await asio::co_spawn(
      impl_->strand, send_node_task(impl_, send::chat_state(chat, composing)), asio::use_awaitable);
}

asio::awaitable<Result<GroupInfo>> Client::group_info(Jid group) {
  auto impl = impl_;
  auto r = co_await asio::co_spawn(impl->strand, impl->do_group_info(std::move(group)),
                                   asio::use_awaitable);
  co_return std::move(*r);
}

std::uint64_t Client::undecryptable_count() const noexcept {
  return impl_->undecryptable.load();
}

}  // namespace wa::client
