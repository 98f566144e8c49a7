#include "wa/noise/noise_socket.hpp"

#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "wa/constants.hpp"
#include "wa/noise/client_handshake.hpp"

namespace wa::noise {

namespace asio = boost::asio;

const char* stage_name(OpenStage s) noexcept {
  switch (s) {
    case OpenStage::connect:
      return "connect";
    case OpenStage::handshake:
      return "handshake";
    case OpenStage::certificate:
      return "certificate";
  }
  return "unknown";
}

namespace {

bool is_cert_error(Errc c) {
  return c >= Errc::cert_missing && c <= Errc::cert_details_invalid;
}

// Reads WebSocket messages until the frame reader holds a complete frame.
asio::awaitable<Result<Bytes>> next_frame(socket::WebSocket& ws, socket::FrameReader& reader) {
  for (;;) {
    if (auto f = reader.next()) co_return std::move(*f);
    auto msg = co_await ws.read();
    if (!msg) {
      if (msg.code() == Errc::transport_closed && reader.buffered() != 0)
        co_return Error{Errc::frame_truncated, "connection closed inside a frame"};
      co_return msg.error();
    }
    if (auto r = reader.feed(*msg); !r) co_return r.error();
  }
}

}  // namespace

asio::awaitable<std::variant<std::unique_ptr<NoiseSocket>, OpenError>> NoiseSocket::open(
    ConnectOptions options, crypto::KeyPair noise_key, std::vector<std::uint8_t> client_payload) {
  using Out = std::variant<std::unique_ptr<NoiseSocket>, OpenError>;
  const auto after_handshake_timeout = options.websocket.read_timeout;
  auto ws = co_await socket::WebSocket::connect(options.websocket);
  if (!ws) co_return Out{OpenError{OpenStage::connect, ws.error()}};
  auto& sock = **ws;
  sock.set_read_timeout(options.handshake_timeout);
  socket::FrameReader reader;
  socket::FrameWriter writer(constants::kConnHeader);
  ClientHandshake hs(noise_key, options.cert);
  const auto fail = [&](Error e) -> Out {
    return OpenError{is_cert_error(e.code) ? OpenStage::certificate : OpenStage::handshake,
                     std::move(e)};
  };

  auto hello = writer.frame(hs.client_hello());
  if (!hello) co_return fail(hello.error());
  if (auto w = co_await sock.write(*hello); !w) co_return fail(w.error());
  auto server_hello = co_await next_frame(sock, reader);
  if (!server_hello) {
    co_await sock.close();
    co_return fail(server_hello.error());
  }
  auto finish = hs.on_server_hello(*server_hello, client_payload, std::chrono::system_clock::now());
  if (!finish) {
    co_await sock.close();
    co_return fail(finish.error());
  }
  auto fin_frame = writer.frame(*finish);
  if (!fin_frame) co_return fail(fin_frame.error());
  if (auto w = co_await sock.write(*fin_frame); !w) co_return fail(w.error());
  sock.set_read_timeout(after_handshake_timeout);
  co_return Out{std::make_unique<NoiseSocket>(std::move(*ws), std::move(reader), std::move(writer),
                                              hs.transport())};
}

NoiseSocket::NoiseSocket(std::unique_ptr<socket::WebSocket> ws, socket::FrameReader reader,
                         socket::FrameWriter writer, TransportCipher cipher)
    : ws_(std::move(ws)), reader_(std::move(reader)), writer_(std::move(writer)), cipher_(cipher) {}

asio::awaitable<Result<Bytes>> NoiseSocket::read_frame() {
  auto frame = co_await next_frame(*ws_, reader_);
  if (!frame) co_return frame.error();
  co_return cipher_.decrypt(*frame);
}

asio::awaitable<Result<void>> NoiseSocket::write_frame(std::span<const std::uint8_t> plaintext) {
  auto ct = cipher_.encrypt(plaintext);
  if (!ct) co_return ct.error();
  auto framed = writer_.frame(*ct);
  if (!framed) co_return framed.error();
  co_return co_await ws_->write(*framed);
}

asio::awaitable<void> NoiseSocket::close() {
  co_await ws_->close();
}

}  // namespace wa::noise
