// wa-bench-messaging: incoming-message throughput of the receive path (decrypt + unpad + parse +
// event) without sockets: for each of S sessions a sender and a receiver device (MemoryStore),
// a session set up through a prekey bundle and one reply (so the stream is `msg` after the first
// `pkmsg`, as in a conversation), then N <message> stanzas per session pre-encrypted by the sender
// and handed to the receiver round-robin across sessions. Driven by bench/messaging/run.sh.
//   wa-bench-messaging --messages N [--sessions S]
// stdout, one JSON line: {"sessions","messages","cpu_s","msgs_per_cpu_s","wall_s"}.
#include <charconv>
#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "client/receive.hpp"
#include "wa/message/framing.hpp"
#include "wa/proto/wa.pb.h"
#include "wa/signal/keys.hpp"
#include "wa/store/memory_store.hpp"

namespace {

using wa::binary::Node;

std::optional<long> num(std::string_view v) {
  long n = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size() || n <= 0) return std::nullopt;
  return n;
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Device {
  wa::store::MemoryStore store;
  std::unique_ptr<wa::signal::SignalProtocol> signal;
  wa::Jid jid;
};

bool make_device(Device& d, std::string_view user) {
  auto rec = wa::signal::new_device_record();
  if (!rec) return false;
  d.jid = *wa::Jid::parse(std::string(user) + ":1@s.whatsapp.net");
  rec->jid = d.jid;
  if (!d.store.save_device(*rec)) return false;
  auto s = wa::signal::SignalProtocol::create(d.store);
  if (!s) return false;
  d.signal = std::move(*s);
  return true;
}

struct Session {
  Device sender, receiver;
  std::vector<Node> stanzas;
};

// The sender learns the receiver's bundle, sends a first message, gets a reply: from then on msg.
bool set_up(Session& s, int index, long messages) {
  if (!make_device(s.sender, "1" + std::to_string(1000000 + index)) ||
      !make_device(s.receiver, "2" + std::to_string(1000000 + index)))
    return false;
  auto rec = *s.receiver.store.load_device();
  auto keys = wa::signal::get_or_generate_prekeys(s.receiver.store, 1);
  if (!keys || keys->empty()) return false;
  wa::signal::PreKeyBundle b;
  b.registration_id = rec->registration_id;
  b.device_id = 1;
  b.identity_key = rec->identity_key.pub;
  b.signed_prekey_id = rec->signed_prekey.id;
  b.signed_prekey = rec->signed_prekey.key.pub;
  b.signed_prekey_signature = rec->signed_prekey.signature;
  b.prekey_id = keys->front().id;
  b.prekey = keys->front().key.pub;
  const auto to_receiver = wa::signal::signal_address(s.receiver.jid);
  const auto to_sender = wa::signal::signal_address(s.sender.jid);
  if (!s.sender.signal->process_bundle(to_receiver, b)) return false;
  const std::vector<std::uint8_t> hello{1, 2, 3};
  auto first = s.sender.signal->encrypt(to_receiver, hello);
  if (!first || !s.receiver.signal->decrypt(to_sender, first->type, first->data)) return false;
  auto reply = s.receiver.signal->encrypt(to_sender, hello);
  if (!reply || !s.sender.signal->decrypt(to_receiver, reply->type, reply->data)) return false;
  for (long i = 0; i < messages; ++i) {
    wa::proto::Message m;
    m.set_conversation("benchmark message number " + std::to_string(i) + " with some text");
    const auto bytes = m.SerializeAsString();
    auto ct = s.sender.signal->encrypt(
        to_receiver, wa::message::pad_random(std::span(
                         reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size())));
    if (!ct) return false;
    Node enc{"enc",
             {{"v", "2"}, {"type", std::string(wa::signal::to_string(ct->type))}},
             wa::binary::Bytes(ct->data.begin(), ct->data.end())};
    s.stanzas.push_back(Node{"message",
                             {{"from", s.sender.jid.to_string()},
                              {"id", "3EB0" + std::to_string(i)},
                              {"t", "1700000000"},
                              {"type", "text"},
                              {"notify", "Bench"}},
                             std::vector<Node>{std::move(enc)}});
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long messages = 0, sessions = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view k = argv[i];
    auto v = num(argv[i + 1]);
    if (!v) return 2;
    if (k == "--messages") messages = *v;
    if (k == "--sessions") sessions = *v;
  }
  if (messages <= 0) {
    std::cerr << "usage: wa-bench-messaging --messages N [--sessions S]\n";
    return 2;
  }
  const long per_session = std::max(1L, messages / sessions);
  std::vector<std::unique_ptr<Session>> all;
  for (long i = 0; i < sessions; ++i) {
    all.push_back(std::make_unique<Session>());
    if (!set_up(*all.back(), static_cast<int>(i), per_session)) {
      std::cerr << "set-up failed\n";
      return 1;
    }
  }
  std::size_t handled = 0, texts = 0;
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  for (long i = 0; i < per_session; ++i) {
    for (auto& s : all) {
      const auto& n = s->stanzas[static_cast<std::size_t>(i)];
      const wa::client::receive::Own own{s->receiver.jid, std::nullopt};
      auto src = wa::client::receive::parse_source(n, own);
      if (!src) return 1;
      auto addr = wa::client::receive::decryption_address(s->receiver.store, *src);
      if (!addr) return 1;
      auto dec = wa::client::receive::decrypt(*s->receiver.signal, n, *src, *addr);
      if (!dec) {
        std::cerr << "decrypt: " << dec.error().message() << '\n';
        return 1;
      }
      auto ev = wa::client::receive::to_event(*src, dec->content, own);
      texts += ev.text.empty() ? 0 : 1;
      ++handled;
    }
  }
  const double cpu = cpu_seconds() - cpu0;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  std::cout << "{\"sessions\":" << sessions << ",\"messages\":" << handled << ",\"texts\":" << texts
            << ",\"cpu_s\":" << cpu << ",\"msgs_per_cpu_s\":" << static_cast<double>(handled) / cpu
            << ",\"wall_s\":" << wall << "}\n";
  return texts == handled ? 0 : 1;
}
