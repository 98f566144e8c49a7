// wa-tool handshake --url URL [--root-key HEX] [--timeout-ms N] [--ca-file PEM]
// Registers nothing: connects, runs the Noise handshake with a registration ClientPayload from
// fresh keys (docs/PROTOCOL.md §2.4), prints the server's first node as one JSON line.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <charconv>
#include <iostream>
#include <optional>
#include <string>

#include "tool_commands.hpp"
#include "tool_util.hpp"
#include "wa/binary/node.hpp"
#include "wa/binary/node_json.hpp"
#include "wa/noise/noise_socket.hpp"
#include "wa/payload/client_payload.hpp"

namespace wa_tool {

namespace {

namespace asio = boost::asio;

int fail(std::string_view stage, const wa::Error& e) {
  std::cerr << "handshake: " << stage << ": "
            << (e.detail.empty() ? wa::errc_name(e.code) : e.detail) << " ("
            << wa::errc_name(e.code) << ")\n";
  return 1;
}

asio::awaitable<int> run(wa::noise::ConnectOptions opts) {
  const auto keys = wa::payload::generate_device_keys();
  const std::string payload = wa::payload::registration_payload(keys).SerializeAsString();
  auto opened = co_await wa::noise::NoiseSocket::open(
      opts, keys.noise, std::vector<std::uint8_t>(payload.begin(), payload.end()));
  if (auto* err = std::get_if<wa::noise::OpenError>(&opened))
    co_return fail(wa::noise::stage_name(err->stage), err->error);
  auto& sock = *std::get<std::unique_ptr<wa::noise::NoiseSocket>>(opened);
  auto frame = co_await sock.read_frame();
  if (!frame) {
    co_await sock.close();
    co_return fail("read", frame.error());
  }
  auto node = wa::binary::decode(*frame);
  co_await sock.close();
  if (!node) co_return fail("decode", node.error());
  std::cout << wa::binary::node_to_json_string(*node) << '\n';
  co_return 0;
}

}  // namespace

int handshake(std::span<const std::string_view> args) {
  wa::noise::ConnectOptions opts;
  std::optional<std::string> url;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--url" && has_value) {
      url = std::string(args[++i]);
    } else if (a == "--root-key" && has_value) {
      auto k = parse_key(args[++i]);
      if (!k) {
        std::cerr << "handshake: --root-key must be 64 hex digits\n";
        return 2;
      }
      opts.cert.root_key = *k;
    } else if (a == "--ca-file" && has_value) {
      opts.websocket.extra_ca_file = std::string(args[++i]);  // trusted besides the system CAs
    } else if (a == "--timeout-ms" && has_value) {
      const auto v = args[++i];
      long ms = 0;
      const auto r = std::from_chars(v.data(), v.data() + v.size(), ms);
      if (r.ec != std::errc() || r.ptr != v.data() + v.size() || ms <= 0) {
        std::cerr << "handshake: --timeout-ms must be a positive integer\n";
        return 2;
      }
      opts.websocket.connect_timeout = opts.handshake_timeout = std::chrono::milliseconds(ms);
    } else {
      std::cerr << "usage: wa-tool handshake --url URL [--root-key HEX] [--timeout-ms N] "
                   "[--ca-file PEM]\n";
      return 2;
    }
  }
  if (url) opts.websocket.url = *url;
  // The first node after the handshake is bounded by the same timeout.
  opts.websocket.read_timeout = opts.handshake_timeout;
  asio::io_context io;
  int rc = 1;
  asio::co_spawn(io, run(opts), [&rc](const std::exception_ptr& ep, int r) {
    if (ep) {
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        std::cerr << "handshake: internal error: " << e.what() << '\n';
      }
      rc = 1;
      return;
    }
    rc = r;
  });
  io.run();
  return rc;
}

}  // namespace wa_tool
