#pragma once
// A scripted HTTP/1.1 server on 127.0.0.1, port 0, for the outgoing HTTP client's tests
// (webhook_http_client_test.cpp, media_fetch_test.cpp): real sockets, real TLS with a throwaway
// certificate made here with the OpenSSL API. The server is synchronous on one thread and serves
// one connection at a time, running the test's script on it (or a thread per connection when
// asked); a script that must keep a connection open hands it back (keep_open). Its destructor
// shuts every socket down, so a broken client fails a test instead of hanging it.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace gw::testing::http_server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using Request = bhttp::request<bhttp::string_body>;

// ---------------------------------------------------------------------------------------------
// A throwaway certificate

struct KeyAndCert {
  std::string key_pem;
  std::string cert_pem;
};

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A self-signed P-256 certificate whose subjectAltName is `san` ("DNS:localhost,IP:...").
inline KeyAndCert make_certificate(const std::string& san) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  if (key == nullptr || cert == nullptr) throw std::runtime_error("OpenSSL: out of memory");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(std::time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("wa-gateway test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, san},
                                   {NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) throw std::runtime_error("OpenSSL: bad extension " + value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert, key, EVP_sha256()) == 0) throw std::runtime_error("OpenSSL: sign failed");
  BIO* key_bio = BIO_new(BIO_s_mem());
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_X509(cert_bio, cert);
  KeyAndCert out{bio_text(key_bio), bio_text(cert_bio)};
  BIO_free(key_bio);
  BIO_free(cert_bio);
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

// A file that is removed with this object.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& text)
      : path_(std::filesystem::temp_directory_path() /
              ("wa-http-client-" + std::to_string(::getpid()) + "-" + name)) {
    std::ofstream(path_) << text;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// ---------------------------------------------------------------------------------------------
// The scripted server

class Server;

// One accepted connection, plain or TLS, with blocking I/O.
class Peer {
 public:
  Peer(tcp::socket socket, ssl::context* tls, Server& server)
      : socket_(std::move(socket)), server_(server) {
    if (tls != nullptr) tls_.emplace(socket_, *tls);
  }

  /// Completes the TLS handshake (true for plain connections).
  bool handshake() {
    if (!tls_) return true;
    beast::error_code ec;
    tls_->handshake(ssl::stream_base::server, ec);
    return !ec;
  }

  /// The next request (recorded by the server), or nullopt when the client closed.
  std::optional<Request> read();

  /// Writes raw bytes; false once the client is gone.
  bool write(std::string_view raw) {
    beast::error_code ec;
    if (tls_) {
      asio::write(*tls_, asio::buffer(raw), ec);
    } else {
      asio::write(socket_, asio::buffer(raw), ec);
    }
    return !ec;
  }

  /// Blocks until the client closes the connection.
  void wait_for_close() {
    char byte = 0;
    beast::error_code ec;
    while (!ec) {
      if (tls_) {
        tls_->read_some(asio::buffer(&byte, 1), ec);
      } else {
        socket_.read_some(asio::buffer(&byte, 1), ec);
      }
    }
  }

  /// Keeps the connection open after the script returns, until the server goes.
  void keep_open() { keep_open_ = true; }
  [[nodiscard]] bool kept_open() const { return keep_open_; }
  Server& server() { return server_; }
  int native_handle() { return socket_.native_handle(); }

  void close() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  tcp::socket socket_;
  std::optional<ssl::stream<tcp::socket&>> tls_;
  beast::flat_buffer buffer_;
  Server& server_;
  bool keep_open_ = false;
};

// Serves one connection at a time with the script, on a thread of its own; or, when
// `concurrent`, each connection on a thread of its own.
class Server {
 public:
  using Script = std::function<void(Peer&, int index)>;

  explicit Server(Script script, const KeyAndCert* tls = nullptr, bool concurrent = false)
      : script_(std::move(script)), concurrent_(concurrent), acceptor_(ioc_) {
    if (tls != nullptr) {
      tls_.emplace(ssl::context::tls_server);
      tls_->use_certificate_chain(asio::buffer(tls->cert_pem));
      tls_->use_private_key(asio::buffer(tls->key_pem), ssl::context::pem);
      SSL_CTX_set_tlsext_servername_callback(tls_->native_handle(), &Server::on_server_name);
      SSL_CTX_set_tlsext_servername_arg(tls_->native_handle(), this);
    }
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { run(); });
  }

  ~Server() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      for (int fd : live_) ::shutdown(fd, SHUT_RDWR);
    }
    // Wakes the blocking accept (Linux: it fails with EINVAL).
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    thread_.join();
    for (auto& t : connection_threads_) t.join();  // no lock: the accept thread is gone
    for (auto& p : kept_) p->close();
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string url(const std::string& path = "/hook") const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  [[nodiscard]] int accepts() const { return accepts_; }
  [[nodiscard]] int tls_failures() const { return tls_failures_; }
  [[nodiscard]] std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  [[nodiscard]] std::vector<std::string> server_names() const {
    std::lock_guard lock(mutex_);
    return server_names_;
  }

  void record(const Request& r) {
    std::lock_guard lock(mutex_);
    requests_.push_back(r);
  }

  /// Waits (up to 10 s) until `n` requests have arrived.
  void wait_for_requests(std::size_t n) const {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (requests().size() < n && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(5ms);
    }
  }

 private:
  static int on_server_name(SSL* ssl_handle, int* /*alert*/, void* arg) {
    auto* self = static_cast<Server*>(arg);
    const char* name = SSL_get_servername(ssl_handle, TLSEXT_NAMETYPE_host_name);
    std::lock_guard lock(self->mutex_);
    self->server_names_.emplace_back(name != nullptr ? name : "");
    return SSL_TLSEXT_ERR_OK;
  }

  void run() {
    for (int index = 0;; ++index) {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) return;
      auto peer = std::make_shared<Peer>(std::move(socket), tls_ ? &*tls_ : nullptr, *this);
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        live_.insert(peer->native_handle());
      }
      ++accepts_;
      if (concurrent_) {
        connection_threads_.emplace_back([this, peer, index] { serve(peer, index); });
      } else {
        serve(peer, index);
      }
    }
  }

  void serve(const std::shared_ptr<Peer>& peer, int index) {
    if (peer->handshake()) {
      script_(*peer, index);
    } else {
      ++tls_failures_;
    }
    std::lock_guard lock(mutex_);
    if (peer->kept_open()) {
      kept_.push_back(peer);
    } else {
      live_.erase(peer->native_handle());
      peer->close();
    }
  }

  Script script_;
  bool concurrent_;
  asio::io_context ioc_;
  std::optional<ssl::context> tls_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<int> accepts_{0};
  std::atomic<int> tls_failures_{0};
  mutable std::mutex mutex_;
  bool stopping_ = false;                        // guarded by mutex_
  std::set<int> live_;                           // guarded by mutex_: sockets to shut down
  std::vector<std::shared_ptr<Peer>> kept_;      // guarded by mutex_
  std::vector<Request> requests_;                // guarded by mutex_
  std::vector<std::string> server_names_;        // guarded by mutex_
  std::vector<std::thread> connection_threads_;  // touched by the accept thread only
  std::thread thread_;
};

inline std::optional<Request> Peer::read() {
  Request req;
  beast::error_code ec;
  if (tls_) {
    bhttp::read(*tls_, buffer_, req, ec);
  } else {
    bhttp::read(socket_, buffer_, req, ec);
  }
  if (ec) return std::nullopt;
  server_.record(req);
  return req;
}

// A complete response with a JSON body.
inline std::string response(int status, const std::string& reason, const std::string& body,
                            const std::string& extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + extra_headers + "\r\n" + body;
}

inline const std::string kOk = response(200, "OK", R"({"ok":true})");

// Answers every request on the connection with `answer` until the client closes.
inline Server::Script serve_all(std::string answer) {
  return [answer = std::move(answer)](Peer& p, int) {
    while (p.read()) {
      if (!p.write(answer)) return;
    }
  };
}

// Writes `head`, then `piece` over and over until the client goes (or 20 s pass).
inline Server::Script stream_forever(std::string head, std::string piece) {
  return [head = std::move(head), piece = std::move(piece)](Peer& p, int) {
    if (!p.read() || !p.write(head)) return;
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < give_up && p.write(piece)) {
    }
  };
}

}  // namespace gw::testing::http_server
