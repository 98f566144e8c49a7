#pragma once
// An encrypted WhatsApp connection: WebSocket + frames + the Noise handshake + transport cipher
// (docs/PROTOCOL.md §1). open() connects and runs the client handshake; afterwards read_frame() and
// write_frame() move decrypted frame payloads (flag byte + node, §1.5), which binary::decode and
// binary::encode turn into nodes.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <span>
#include <variant>
#include <vector>

#include "wa/crypto/curve25519.hpp"
#include "wa/error.hpp"
#include "wa/noise/cert.hpp"
#include "wa/noise/noise.hpp"
#include "wa/socket/frame.hpp"
#include "wa/socket/websocket.hpp"

namespace wa::noise {

/// How to open a connection.
struct ConnectOptions {
  socket::WebSocketOptions websocket;
  CertPolicy cert;
  /// Bound on each handshake read (the server's hello).
  std::chrono::milliseconds handshake_timeout{20'000};
};

/// Which step of open() failed, for messages such as "handshake: certificate: ...".
enum class OpenStage { connect, handshake, certificate };

/// A failure of open(): the step and the typed error.
struct OpenError {
  OpenStage stage = OpenStage::connect;
  Error error;
};
const char* stage_name(OpenStage s) noexcept;

/// An open, handshaken connection. Thread safety: one strand; one reader and one writer at a time.
class NoiseSocket {
 public:
  /// Connects, sends the header and the client hello, verifies the server (certificate chain
  /// against options.cert) and sends the client finish with `client_payload` (a serialized
  /// ClientPayload) encrypted. `noise_key` is the device's long-term noise key.
  static boost::asio::awaitable<std::variant<std::unique_ptr<NoiseSocket>, OpenError>> open(
      ConnectOptions options, crypto::KeyPair noise_key, std::vector<std::uint8_t> client_payload);

  NoiseSocket(std::unique_ptr<socket::WebSocket> ws, socket::FrameReader reader,
              socket::FrameWriter writer, TransportCipher cipher);

  /// The next decrypted frame payload. Errors: transport_*, frame_*, noise_decrypt.
  boost::asio::awaitable<Result<Bytes>> read_frame();
  /// Encrypts and sends one frame payload.
  boost::asio::awaitable<Result<void>> write_frame(std::span<const std::uint8_t> plaintext);
  /// Closes the WebSocket.
  boost::asio::awaitable<void> close();

 private:
  std::unique_ptr<socket::WebSocket> ws_;
  socket::FrameReader reader_;
  socket::FrameWriter writer_;
  TransportCipher cipher_;
};

}  // namespace wa::noise
