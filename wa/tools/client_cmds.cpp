// wa-tool pair | connect | logout: the client (wa/client/client.hpp) with a SQLite device store.
//   wa-tool pair --url URL --root-key HEX --store FILE [--phone NUMBER] [options]
//       prints {"event":"qr",…} (or {"event":"pair_code",…}) lines, exits 0 once paired and logged
//       in; URL and root key are remembered in the store
//   wa-tool connect --store FILE [options]   logs in, prints every event until SIGINT (exit 0) or
//       until the client stops by itself (exit 3: logged out, replaced, …)
//   wa-tool logout --store FILE [options]    logs in, logs out (device removed, store wiped)
// Options: --push-name NAME, --qr-first-ms N, --qr-next-ms N, --keepalive-ms MIN,MAX,
//   --keepalive-timeout-ms N, --keepalive-dead-ms N, --backoff-ms BASE,CAP, --timeout-ms N,
//   --version A.B.C, --no-reconnect, --verbose (client diagnostics on stderr).
// Every event is one JSON line on stdout: {"event":"<name>", …}.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <iostream>
#include <optional>
#include <string>

#include "tool_commands.hpp"
#include "wa/client/client.hpp"
#include "wa/store/sqlite_store.hpp"

namespace wa_tool {

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace wa::client;
using std::chrono::milliseconds;

std::optional<wa::crypto::PublicKey> parse_key(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  wa::crypto::PublicKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) {
    const auto r = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, k[i], 16);
    if (r.ec != std::errc() || r.ptr != hex.data() + 2 * i + 2) return std::nullopt;
  }
  return k;
}

std::string to_hex(const wa::crypto::PublicKey& k) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (auto b : k) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

std::optional<long> parse_num(std::string_view v) {
  long n = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size() || n < 0) return std::nullopt;
  return n;
}

// "A,B" -> two numbers.
std::optional<std::pair<long, long>> parse_pair(std::string_view v) {
  const auto comma = v.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  auto a = parse_num(v.substr(0, comma)), b = parse_num(v.substr(comma + 1));
  if (!a || !b) return std::nullopt;
  return std::pair{*a, *b};
}

json::value jid_json(const std::optional<wa::Jid>& j) {
  if (!j) return nullptr;
  return json::value(j->to_string());
}

json::object event_json(const Event& e) {
  json::object o;
  o["event"] = std::string(event_name(e));
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, QrCode>) {
          o["qr"] = ev.qr;
          o["expires_in"] = ev.expires_in.count();
          o["index"] = ev.index;
        } else if constexpr (std::is_same_v<T, PairCode>) {
          o["code"] = ev.code;
        } else if constexpr (std::is_same_v<T, Paired>) {
          o["jid"] = ev.jid.to_string();
          o["lid"] = jid_json(ev.lid);
          o["platform"] = ev.platform;
          o["business_name"] = ev.business_name;
        } else if constexpr (std::is_same_v<T, PairError>) {
          o["reason"] = ev.reason;
        } else if constexpr (std::is_same_v<T, Connected>) {
          o["jid"] = ev.jid.to_string();
          o["lid"] = jid_json(ev.lid);
        } else if constexpr (std::is_same_v<T, Disconnected>) {
          o["reason"] = std::string(to_string(ev.reason));
          o["code"] = ev.code;
          o["detail"] = ev.detail;
          o["will_reconnect"] = ev.will_reconnect;
          o["retry_in_ms"] = ev.retry_in.count();
        } else if constexpr (std::is_same_v<T, LoggedOut>) {
          o["reason"] = std::string(to_string(ev.reason));
        } else if constexpr (std::is_same_v<T, PrekeysUploaded>) {
          o["count"] = ev.count;
          o["server_count_before"] = ev.server_count_before;
        }
      },
      e);
  return o;
}

void print(const json::object& o) {
  std::cout << json::serialize(o) << std::endl;
}

int usage(std::string_view cmd) {
  std::cerr << "usage: wa-tool " << cmd
            << (cmd == "pair" ? " --url URL --root-key HEX --store FILE [--phone NUMBER]"
                              : " --store FILE")
            << " [--push-name NAME] [--qr-first-ms N] [--qr-next-ms N] [--keepalive-ms MIN,MAX]"
               " [--keepalive-timeout-ms N] [--keepalive-dead-ms N] [--backoff-ms BASE,CAP]"
               " [--timeout-ms N] [--version A.B.C] [--no-reconnect] [--verbose]\n";
  return 2;
}

struct Args {
  std::optional<std::string> url, root_key, store, phone;
  Options opt;
  bool verbose = false;
};

std::optional<Args> parse_args(std::string_view cmd, std::span<const std::string_view> args) {
  Args a;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto k = args[i];
    if (k == "--no-reconnect") {
      a.opt.auto_reconnect = false;
      continue;
    }
    if (k == "--verbose") {
      a.verbose = true;
      continue;
    }
    if (i + 1 >= args.size()) return std::nullopt;
    const auto v = args[++i];
    if (k == "--url" && cmd == "pair") {
      a.url = std::string(v);
    } else if (k == "--root-key" && cmd == "pair") {
      a.root_key = std::string(v);
    } else if (k == "--phone" && cmd == "pair") {
      a.phone = std::string(v);
    } else if (k == "--store") {
      a.store = std::string(v);
    } else if (k == "--push-name") {
      a.opt.push_name = std::string(v);
    } else if (k == "--qr-first-ms" || k == "--qr-next-ms" || k == "--keepalive-timeout-ms" ||
               k == "--keepalive-dead-ms" || k == "--timeout-ms") {
      auto n = parse_num(v);
      if (!n || *n == 0) return std::nullopt;
      const milliseconds ms(*n);
      if (k == "--qr-first-ms") a.opt.qr_first = ms;
      if (k == "--qr-next-ms") a.opt.qr_next = ms;
      if (k == "--keepalive-timeout-ms") a.opt.keepalive_timeout = ms;
      if (k == "--keepalive-dead-ms") a.opt.keepalive_dead_after = ms;
      if (k == "--timeout-ms") a.opt.connect_timeout = a.opt.iq_timeout = ms;
    } else if (k == "--keepalive-ms" || k == "--backoff-ms") {
      auto p = parse_pair(v);
      if (!p || p->first == 0 || p->second < p->first) return std::nullopt;
      if (k == "--keepalive-ms") {
        a.opt.keepalive_min = milliseconds(p->first);
        a.opt.keepalive_max = milliseconds(p->second);
      } else {
        a.opt.backoff_base = milliseconds(p->first);
        a.opt.backoff_cap = milliseconds(p->second);
      }
    } else if (k == "--version") {
      std::array<std::uint32_t, 3> ver{};
      std::size_t pos = 0;
      for (int part = 0; part < 3; ++part) {
        const auto dot = part < 2 ? v.find('.', pos) : v.size();
        if (dot == std::string_view::npos) return std::nullopt;
        auto n = parse_num(v.substr(pos, dot - pos));
        if (!n) return std::nullopt;
        ver[static_cast<std::size_t>(part)] = static_cast<std::uint32_t>(*n);
        pos = dot + 1;
      }
      a.opt.version = ver;
    } else {
      return std::nullopt;
    }
  }
  if (!a.store) return std::nullopt;
  if (cmd == "pair" && (!a.url || !a.root_key)) return std::nullopt;
  return a;
}

enum class Mode { pair, connect, logout };

int run(Mode mode, std::string_view cmd, std::span<const std::string_view> raw) {
  auto args = parse_args(cmd, raw);
  if (!args) return usage(cmd);
  auto opened = wa::store::SqliteStore::open(*args->store);
  if (!opened) {
    std::cerr << cmd << ": store: " << opened.error().message() << '\n';
    return 1;
  }
  auto& store = **opened;
  if (mode == Mode::pair) {
    auto key = parse_key(*args->root_key);
    if (!key) {
      std::cerr << "pair: --root-key must be 64 hex digits\n";
      return 2;
    }
    if (auto r = store.set_meta("url", *args->url); !r) {
      std::cerr << "pair: store: " << r.error().message() << '\n';
      return 1;
    }
    if (auto r = store.set_meta("root_key", to_hex(*key)); !r) {
      std::cerr << "pair: store: " << r.error().message() << '\n';
      return 1;
    }
  }
  auto url = store.get_meta("url");
  auto root = store.get_meta("root_key");
  if (!url || !root || !*url || !*root) {
    std::cerr << cmd << ": the store has no URL/root key: pair it first with wa-tool pair\n";
    return 1;
  }
  auto key = parse_key(**root);
  if (!key) {
    std::cerr << cmd << ": the stored root key is invalid\n";
    return 1;
  }
  if (mode == Mode::connect || mode == Mode::logout) {
    auto dev = store.load_device();
    if (!dev || !dev->has_value() || !(**dev).paired()) {
      std::cerr << cmd << ": the store holds no paired device\n";
      return 1;
    }
  }
  Options opt = args->opt;
  opt.url = **url;
  opt.root_key = *key;
  if (args->verbose)
    opt.log = [](int level, std::string_view m) {
      std::cerr << (level ? "warning: " : "info: ") << m << '\n';
    };

  asio::io_context io;
  int rc = 1;
  bool paired_now = false, finishing = false, logout_started = false;
  std::unique_ptr<Client> client;
  const auto finish = [&](int code) {
    if (finishing) return;
    finishing = true;
    rc = code;
    client->disconnect();
  };
  client = std::make_unique<Client>(io.get_executor(), store, opt, [&](const Event& e) {
    print(event_json(e));
    if (std::holds_alternative<Paired>(e)) paired_now = true;
    if (const auto* d = std::get_if<Disconnected>(&e); d && !d->will_reconnect) {
      // The run loop emits LoggedOut / QrTimeout right after; stop once it has.
      if (!finishing) rc = mode == Mode::connect ? 3 : 1;
      finishing = true;
      asio::post(io, [&io] { io.stop(); });
      return;
    }
    if (std::holds_alternative<Connected>(e)) {
      if (mode == Mode::pair) {
        (void)paired_now;  // paired earlier in this run, or already paired: both count
        finish(0);
      } else if (mode == Mode::logout && !logout_started) {
        logout_started = true;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
              auto r = co_await client->logout();
              json::object o{{"event", "logout_result"}, {"ok", r.ok()}};
              if (!r) o["error"] = r.error().message();
              print(o);
              finishing = true;
              rc = r ? 0 : 1;
            },
            asio::detached);
      }
    }
  });
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) finish(0);
  });
  if (args->phone) client->pair_phone(*args->phone);
  client->connect();
  io.run();
  client.reset();
  return rc;
}

}  // namespace

int pair(std::span<const std::string_view> args) {
  return run(Mode::pair, "pair", args);
}
int connect(std::span<const std::string_view> args) {
  return run(Mode::connect, "connect", args);
}
int logout(std::span<const std::string_view> args) {
  return run(Mode::logout, "logout", args);
}

}  // namespace wa_tool
