// Keepalive of a logged-in connection (docs/PROTOCOL.md §9): a ping IQ on an interval, and the
// connection ends when the server stops answering. Part of the connection life cycle of
// client.cpp; the state is declared in client_impl.hpp.
#include "client_impl.hpp"

namespace wa::client {

asio::awaitable<void> Client::Impl::keepalive(std::shared_ptr<Conn> c) {
  auto self = shared_from_this();
  auto last_ok = Clock::now();
  for (;;) {
    const auto lo = opt.keepalive_min.count();
    const auto hi = std::max(lo, opt.keepalive_max.count());
    std::uniform_int_distribution<std::int64_t> pick(lo, hi);
    if (!co_await sleep(c, milliseconds(pick(rng)))) co_return;
    auto r = co_await iq(c, stanza::keepalive_ping(), opt.keepalive_timeout);
    if (c->ending) co_return;
    if (r || r.code() == Errc::iq_error) {  // any answer proves the server is there
      last_ok = Clock::now();
      continue;
    }
    const auto silent = std::chrono::duration_cast<milliseconds>(Clock::now() - last_ok);
    log(1, "keepalive: " + r.error().message());
    if (silent >= opt.keepalive_dead_after) {
      end(c, {DisconnectReason::keepalive_timeout,
              0,
              "no answer to pings for " + std::to_string(silent.count()) + " ms",
              {}});
      co_return;
    }
  }
}

}  // namespace wa::client
