// wa-bench-sessions: one process holding N paired, connected, idle clients; reports resident
// memory per session. Driven by bench/sessions/run.mjs, which scans each printed QR through the
// emulator's control API.
//   wa-bench-sessions --url URL --root-key HEX --count N [--batch K] [--idle-ms MS]
// stdout, one JSON line each: {"event":"qr","i":…,"qr":…} per client to pair, then
// {"event":"result","sessions":N,"rss_kb_before":…,"rss_kb":…,"per_session_kb":…,…}.
// Each client has its own in-memory device store (MemoryStore), so the figure includes the
// device's keys (812 one-time prekeys among them). The RSS is read once after the idle period and
// once more after malloc_trim(0), which returns heap freed since pairing to the kernel.
#include <malloc.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tool_util.hpp"
#include "wa/client/client.hpp"
#include "wa/store/memory_store.hpp"

namespace {

namespace asio = boost::asio;
using namespace wa::client;

long rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::optional<long> num(std::string_view v) {
  long n = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size() || n <= 0) return std::nullopt;
  return n;
}

using wa_tool::parse_key;

struct Session {
  wa::store::MemoryStore store;
  std::unique_ptr<Client> client;
  bool connected = false;
  bool stopped = false;
};

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  std::optional<wa::crypto::PublicKey> root;
  long count = 100, batch = 50, idle_ms = 5000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view k = argv[i], v = argv[i + 1];
    if (k == "--url")
      url = std::string(v);
    else if (k == "--root-key")
      root = parse_key(v);
    else if (k == "--count" && num(v))
      count = *num(v);
    else if (k == "--batch" && num(v))
      batch = *num(v);
    else if (k == "--idle-ms" && num(v))
      idle_ms = *num(v);
    else {
      std::cerr << "usage: wa-bench-sessions --url URL --root-key HEX --count N [--batch K] "
                   "[--idle-ms MS]\n";
      return 2;
    }
  }
  if (url.empty() || !root) {
    std::cerr << "wa-bench-sessions: --url and --root-key are required\n";
    return 2;
  }
  asio::io_context io;
  const long before = rss_kb();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Session>> sessions;
  sessions.reserve(static_cast<std::size_t>(count));
  long started = 0, connected = 0, stopped = 0;
  bool measuring = false;
  Options opt;
  opt.url = url;
  opt.root_key = *root;
  opt.push_name = "bench";
  opt.qr_first = std::chrono::minutes(10);  // the driver scans at its own pace
  opt.connect_timeout = std::chrono::seconds(60);
  opt.iq_timeout = std::chrono::seconds(60);
  asio::steady_timer idle(io);

  std::function<void()> start_batch;
  const auto finish = [&] {
    for (auto& s : sessions) s->client->disconnect();
  };
  start_batch = [&] {
    const long end = std::min(count, started + batch);
    for (; started < end; ++started) {
      auto s = std::make_unique<Session>();
      auto* sp = s.get();
      const long i = started;
      s->client =
          std::make_unique<Client>(io.get_executor(), s->store, opt, [&, sp, i](const Event& e) {
            if (const auto* q = std::get_if<QrCode>(&e); q && q->index == 0) {
              std::cout << R"({"event":"qr","i":)" << i << R"(,"qr":")" << q->qr << "\"}"
                        << std::endl;
            } else if (std::holds_alternative<Connected>(e) && !sp->connected) {
              sp->connected = true;
              ++connected;
              if (connected == started && started < count) asio::post(io, start_batch);
              if (connected == count) {
                const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - t0)
                                    .count();
                std::cerr << "all " << count << " connected after " << ms << " ms; idling "
                          << idle_ms << " ms\n";
                measuring = true;
                idle.expires_after(std::chrono::milliseconds(idle_ms));
                idle.async_wait([&, ms](auto) {
                  const long after = rss_kb();
                  // Heap freed after pairing (812-key uploads, handshakes) but still held by
                  // malloc.
                  malloc_trim(0);
                  const long trimmed = rss_kb();
                  long still = 0;
                  for (auto& x : sessions) still += x->connected;
                  std::cout << R"({"event":"result","sessions":)" << count << R"(,"connected":)"
                            << still << R"(,"pair_and_connect_ms":)" << ms << R"(,"rss_kb_before":)"
                            << before << R"(,"rss_kb":)" << after << R"(,"per_session_kb":)"
                            << (static_cast<double>(after - before) / static_cast<double>(count))
                            << R"(,"rss_kb_trimmed":)" << trimmed << R"(,"per_session_kb_trimmed":)"
                            << (static_cast<double>(trimmed - before) / static_cast<double>(count))
                            << "}" << std::endl;
                  finish();
                });
              }
            } else if (const auto* d = std::get_if<Disconnected>(&e)) {
              if (measuring && d->reason != DisconnectReason::user_requested) sp->connected = false;
              if (!d->will_reconnect && !sp->stopped) {
                sp->stopped = true;
                if (++stopped == count) io.stop();
                if (!measuring)
                  std::cerr << "session " << i << " stopped: " << to_string(d->reason) << " "
                            << d->detail << '\n';
              }
            }
          });
      s->client->connect();
      sessions.push_back(std::move(s));
    }
  };
  start_batch();
  io.run();
  sessions.clear();
  return 0;
}
