#include "webhooks/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cerrno>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>

#include "sessions/validation.hpp"
#include "util/strings.hpp"

namespace gw::webhooks {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kMaxHeaderBytes = 8 * 1024;
// Body bytes are copied out of the parser in slices of this size (one allocation per exchange).
constexpr std::size_t kBodySlice = 16 * 1024;
// 1xx answers (100 Continue, 103 Early Hints) skipped before the real one; more is abuse.
constexpr int kMaxInterimResponses = 8;
// A TLS connection we close while it is healthy gets this long for the close_notify exchange.
constexpr std::chrono::seconds kTlsShutdownTimeout{2};
// RFC 9111 §1.2.2: a delta-seconds value that does not fit is read as 2^31.
constexpr std::int64_t kMaxRetryAfterSeconds = std::int64_t{1} << 31;

// ---------------------------------------------------------------------------------------------
// URL

// What post() needs from a URL. Not an aggregate (a user-declared constructor): it is handed by
// value to a coroutine, and g++ 12 destroys aggregate coroutine arguments twice (util/coro.hpp).
struct Target {
  Target() = default;
  bool tls = false;
  std::string host;  // for DNS, SNI and certificate checks: lower case, no IPv6 brackets
  std::optional<asio::ip::address> literal;  // the host when it is an IP address
  std::uint16_t port = 0;
  std::string host_header;  // "host[:port]" as the Host header wants it
  std::string path_and_query;
  std::string pool_key;  // connections are shared by scheme, host and port
};

// post() says "webhook URL …", get() "URL …".
[[noreturn]] void bad_url(const std::string& why) {
  throw std::invalid_argument("URL " + why);
}

Target parse_target(std::string_view url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) bad_url("cannot be parsed: " + parsed.error().message());
  const boost::urls::url_view& u = *parsed;
  Target t;
  if (u.scheme_id() == boost::urls::scheme::https) {
    t.tls = true;
  } else if (u.scheme_id() != boost::urls::scheme::http) {
    bad_url("must use http or https");
  }
  if (!u.has_authority() || u.encoded_host().empty()) bad_url("has no host");
  // Boost.URL 1.81 reads "http://a:b:c/" as host "a" and path "b:c/" (see
  // sessions::validate_webhook_url); such a URL is refused rather than guessed at.
  if (!u.encoded_path().empty() && !u.encoded_path().starts_with('/')) {
    bad_url("has a path that does not start with '/'");
  }
  if (u.has_userinfo()) bad_url("must not contain a user name or password");
  const std::uint16_t default_port = t.tls ? 443 : 80;
  t.port = default_port;
  if (u.has_port() && !u.port().empty()) {
    // By hand: Boost.URL 1.81's port_number() wraps values above 65535 around.
    std::string_view digits = u.port();  // the grammar allows DIGITs only
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    unsigned long n = 0;
    if (digits.size() <= 5) {
      for (char c : digits) n = n * 10 + static_cast<unsigned long>(c - '0');
    }
    if (n == 0 || n > 65535) bad_url("has a port outside 1-65535");
    t.port = static_cast<std::uint16_t>(n);
  }
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
      t.literal = asio::ip::address(asio::ip::address_v4(u.host_ipv4_address().to_uint()));
      t.host = t.literal->to_string();
      break;
    case boost::urls::host_type::ipv6:
      t.literal = asio::ip::address(asio::ip::address_v6(u.host_ipv6_address().to_bytes()));
      t.host = t.literal->to_string();
      break;
    case boost::urls::host_type::name:
      t.host = util::to_lower(u.host_name());
      // "example.com." is "example.com", but certificates and SNI only know the latter.
      if (t.host.size() > 1 && t.host.ends_with('.')) t.host.pop_back();
      for (char c : t.host) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
        if (!ok) bad_url("host must be a DNS name (punycode for international names)");
      }
      break;
    case boost::urls::host_type::ipvfuture:
    case boost::urls::host_type::none:
      bad_url("has no usable host");
  }
  const std::string bracketed = t.literal && t.literal->is_v6() ? "[" + t.host + "]" : t.host;
  t.host_header = bracketed;
  if (t.port != default_port) t.host_header += ":" + std::to_string(t.port);
  t.path_and_query = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  if (u.has_query()) t.path_and_query += "?" + std::string(u.encoded_query());
  t.pool_key =
      std::string(t.tls ? "https://" : "http://") + bracketed + ":" + std::to_string(t.port);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Request headers

bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Fields that frame the message or the connection: only the client may write them, or a caller
// could desynchronise the connection for the next request on it.
bool is_reserved_field(std::string_view name) {
  for (std::string_view f : {"host", "content-length", "transfer-encoding", "connection",
                             "keep-alive", "proxy-connection", "te", "trailer", "upgrade"}) {
    if (util::iequals(name, f)) return true;
  }
  return false;
}

// The request, or an error message for a header that cannot be sent as given.
std::optional<std::string> build_request(const Target& t, const HttpClientOptions& options,
                                         std::string body, const Headers& headers,
                                         bhttp::request<bhttp::string_body>& req) {
  req.method(bhttp::verb::post);
  req.target(t.path_and_query);
  req.version(11);
  req.set(bhttp::field::host, t.host_header);
  req.set(bhttp::field::user_agent, options.user_agent);
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::connection, "keep-alive");
  for (const auto& [name, value] : headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
      return "request: invalid header name \"" + name + "\"";
    }
    // A CR or LF would end the header early and let the value inject its own fields.
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return "request: invalid value for header " + name;
    }
    if (is_reserved_field(name)) continue;
    if (util::iequals(name, "content-type") || util::iequals(name, "user-agent")) {
      req.set(name, value);
    } else {
      req.insert(name, value);
    }
  }
  req.body() = std::move(body);
  req.prepare_payload();
  return std::nullopt;
}

// A GET with no body: identity encoding, since the size cap counts the bytes as they will be
// used (a compressed body could expand past it after the check).
void build_get_request(const Target& t, const HttpClientOptions& options,
                       bhttp::request<bhttp::string_body>& req) {
  req.method(bhttp::verb::get);
  req.target(t.path_and_query);
  req.version(11);
  req.set(bhttp::field::host, t.host_header);
  req.set(bhttp::field::user_agent, options.user_agent);
  req.set(bhttp::field::accept, "*/*");
  req.set(bhttp::field::accept_encoding, "identity");
  req.set(bhttp::field::connection, "keep-alive");
  req.prepare_payload();
}

// ---------------------------------------------------------------------------------------------
// Errors

std::string class_name(sessions::AddressClass c) {
  switch (c) {
    case sessions::AddressClass::public_addr:
      return "public";
    case sessions::AddressClass::private_addr:
      return "private network";
    case sessions::AddressClass::loopback:
      return "loopback";
    case sessions::AddressClass::link_local_or_metadata:
      // All of 169.254/16 is refused because clouds serve instance metadata there.
      return "cloud metadata";
    case sessions::AddressClass::unspecified:
      return "unspecified";
  }
  return "refused";
}

// Errors after the deadline are the deadline's doing, whatever the operation reported.
std::string failure(std::string_view stage, const beast::error_code& ec,
                    Clock::time_point deadline) {
  if (ec == beast::error::timeout || Clock::now() >= deadline) return "timeout";
  return std::string(stage) + ": " + ec.message();
}

// The kind of a failed exchange, from the prefixes HttpResult::error documents (and "too large"
// of BodyPolicy::whole_or_error).
FetchError fetch_error_of(std::string_view error) {
  if (error == "timeout") return FetchError::timeout;
  if (error.starts_with("refused address")) return FetchError::refused_address;
  if (error.starts_with("too large")) return FetchError::too_large;
  return FetchError::network;
}

// The statuses that send a GET elsewhere with a Location (RFC 9110 §15.4); 300 and 304 do not.
bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// The absolute URL a Location names, relative to the URL that answered (RFC 9110 §10.2.2),
// without its fragment; nullopt when it cannot be parsed.
std::optional<std::string> resolve_location(const std::string& base, std::string_view location) {
  const auto b = boost::urls::parse_uri(base);
  const auto ref = boost::urls::parse_uri_reference(util::trim_ows(location));
  if (!b || !ref) return std::nullopt;
  boost::urls::url dest;
  if (!boost::urls::resolve(*b, *ref, dest)) return std::nullopt;
  dest.remove_fragment();
  return std::string(dest.buffer());
}

// How a connection that the server closed while it sat in the pool shows up on first use.
bool is_dead_connection(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == asio::error::not_connected ||
         ec == ssl::error::stream_truncated;
}

// ---------------------------------------------------------------------------------------------
// TLS

// Asio's host_name_verification rejects a certificate for another name but leaves the verify
// result at "ok" (OpenSSL then says "unspecified"); recording the mismatch makes the error
// message say what went wrong.
class PeerVerifier {
 public:
  explicit PeerVerifier(const Target& t) : check_(t.host), ip_(t.literal.has_value()) {}
  bool operator()(bool preverified, ssl::verify_context& ctx) const {
    if (check_(preverified, ctx)) return true;
    X509_STORE_CTX* store = ctx.native_handle();
    if (preverified && X509_STORE_CTX_get_error(store) == X509_V_OK) {
      X509_STORE_CTX_set_error(store,
                               ip_ ? X509_V_ERR_IP_ADDRESS_MISMATCH : X509_V_ERR_HOSTNAME_MISMATCH);
    }
    return false;
  }

 private:
  ssl::host_name_verification check_;
  bool ip_;
};

std::string tls_failure(const beast::error_code& ec, SSL* ssl_handle, Clock::time_point deadline) {
  std::string out = failure("tls", ec, deadline);
  const long verify = SSL_get_verify_result(ssl_handle);
  if (out != "timeout" && verify != X509_V_OK) {
    out += std::string(": ") + X509_verify_cert_error_string(verify);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Connections

// One connection to a server, plain or TLS. Used by one exchange at a time: the pool hands it
// out under its mutex, and only the exchange holding it touches it. Its I/O objects are bound
// to the strand that opened it, but every operation completes on the awaiting coroutine's
// executor (Beast and Asio dispatch to the handler's associated executor), so a later exchange
// on another strand drives it safely as long as no operation is pending when it changes hands.
struct Connection {
  Connection(const asio::any_io_executor& ex, ssl::context* tls_ctx) {
    if (tls_ctx != nullptr) {
      tls.emplace(ex, *tls_ctx);
    } else {
      plain.emplace(ex);
    }
  }
  beast::tcp_stream& lowest() { return tls ? tls->next_layer() : *plain; }

  std::optional<beast::tcp_stream> plain;
  std::optional<ssl::stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;  // bytes read past a response (the pool only keeps it empty)
  Clock::time_point idle_since;
  bool reused = false;  // it has served a response: a failure before any byte may be staleness
};

// Whether a pooled connection still looks open: nothing to read and no EOF pending. The server
// closing an idle connection (its keep-alive timeout) is the common case; a byte we did not ask
// for (a 408, a TLS alert) makes it unusable too.
bool looks_alive(Connection& c) {
  auto& socket = c.lowest().socket();
  if (!socket.is_open() || c.buffer.size() != 0) return false;
  char byte = 0;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void close_now(Connection& c) {
  beast::error_code ignored;
  c.lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  c.lowest().close();
}

// Sends close_notify and waits (briefly) for the server's. The server closing TCP without
// answering (stream_truncated) is as good a close as any; nobody waits on the outcome.
asio::awaitable<void> shutdown_tls(std::shared_ptr<Connection> c) {
  c->lowest().expires_after(kTlsShutdownTimeout);
  co_await c->tls->async_shutdown(kAsTuple);
  close_now(*c);
}

enum class Outcome {
  keep,    // a complete response; the connection may serve another request
  close,   // a complete response, but the connection ends (Connection: close, HTTP/1.0, EOF)
  failed,  // no usable response (out.error says why), a truncated one, or one whose body was
           // not read (a fetch's non-2xx answer): close abruptly
  stale,   // a pooled connection died before any response byte: try a fresh one
};

// What exchange() does with a body longer than its cap.
enum class BodyPolicy {
  truncate,  // post(): keep the first max_body bytes and say so (HttpResult::body_truncated)
  // get(): a 2xx body over the cap is an error ("too large: …"), found from Content-Length
  // before any body byte is read when the server declares one; the body of any other status is
  // not read at all (the caller only wants its status and Location).
  whole_or_error,
};

// The error of a body over the cap, for get().
std::string too_large(std::size_t max_body) {
  return "too large: the body exceeds " + std::to_string(max_body) + " bytes";
}

// Writes the request and reads the response into `out`.
template <class Stream>
asio::awaitable<Outcome> exchange(Stream& stream, Connection& c,
                                  const bhttp::request<bhttp::string_body>& req,
                                  Clock::time_point deadline, std::size_t max_body,
                                  BodyPolicy policy, HttpResult& out) {
  beast::tcp_stream& lowest = c.lowest();
  lowest.expires_at(deadline);
  auto [wec, wn] = co_await bhttp::async_write(stream, req, kAsTuple);
  if (wec) {
    if (c.reused && is_dead_connection(wec)) co_return Outcome::stale;
    out.error = failure("request", wec, deadline);
    co_return Outcome::failed;
  }

  // buffer_body: the body goes into our own slices, so that reading can stop at the cap
  // (string_body with a body limit fails a large Content-Length before reading any of it).
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser;
  for (int interim = 0;; ++interim) {
    parser.emplace();
    parser->header_limit(kMaxHeaderBytes);
    parser->body_limit(boost::none);  // enforced below, by truncation instead of failure
    lowest.expires_at(deadline);
    auto [hec, hn] = co_await bhttp::async_read_header(stream, c.buffer, *parser, kAsTuple);
    if (hec) {
      const bool nothing_read = !parser->got_some() && c.buffer.size() == 0 && interim == 0;
      if (c.reused && nothing_read && is_dead_connection(hec)) co_return Outcome::stale;
      out.error = hec == bhttp::error::end_of_stream
                      ? failure("response", hec, deadline) + " (closed before any response)"
                      : failure("response", hec, deadline);
      co_return Outcome::failed;
    }
    const unsigned status = parser->get().result_int();
    if (status < 100 || status >= 200 || status == 101) break;
    if (interim == kMaxInterimResponses) {
      out.error = "response: too many 1xx responses";
      co_return Outcome::failed;
    }
  }
  auto& msg = parser->get();
  if (policy == BodyPolicy::whole_or_error) {
    out.status = static_cast<int>(msg.result_int());
    out.content_type = std::string(msg[bhttp::field::content_type]);
    out.location = std::string(msg[bhttp::field::location]);
    if (out.status < 200 || out.status >= 300) co_return Outcome::failed;
    if (const auto declared = parser->content_length(); declared && *declared > max_body) {
      out.error = too_large(max_body);
      co_return Outcome::failed;
    }
  }

  std::string body;
  std::string slice(kBodySlice, '\0');
  bool truncated = false;
  while (!parser->is_done()) {
    // One byte past the cap tells a body of exactly max_body bytes from a longer one.
    const std::size_t room = std::min(slice.size(), max_body + 1 - body.size());
    msg.body().data = slice.data();
    msg.body().size = room;
    msg.body().more = true;
    lowest.expires_at(deadline);
    auto [ec, n] = co_await bhttp::async_read(stream, c.buffer, *parser, kAsTuple);
    body.append(slice.data(), room - msg.body().size);
    if (ec == bhttp::error::need_buffer) ec = {};
    // A body delimited by the end of the connection, over TLS from a server that skips
    // close_notify: the end is still the end.
    if (ec == ssl::error::stream_truncated && parser->need_eof()) parser->put_eof(ec);
    if (ec) {
      out.error = failure("response", ec, deadline);
      co_return Outcome::failed;
    }
    if (body.size() > max_body) {
      if (policy == BodyPolicy::whole_or_error) {
        out.error = too_large(max_body);
        co_return Outcome::failed;
      }
      body.resize(max_body);
      truncated = true;
      break;
    }
  }

  out.status = static_cast<int>(msg.result_int());
  out.content_type = std::string(msg[bhttp::field::content_type]);
  out.location = std::string(msg[bhttp::field::location]);
  if (auto ra = msg[bhttp::field::retry_after]; !ra.empty()) {
    out.retry_after = parse_retry_after(ra, std::chrono::system_clock::now());
  }
  out.body = std::move(body);
  out.body_truncated = truncated;
  // The rest of a truncated body is still on its way: the connection cannot carry another
  // request. HTTP/1.0 is not kept alive even when it offers to be (no chunked framing there).
  if (truncated) co_return Outcome::failed;
  const bool reusable = parser->is_done() && msg.version() == 11 && parser->keep_alive() &&
                        !parser->need_eof() && out.status != 101 && c.buffer.size() == 0;
  co_return reusable ? Outcome::keep : Outcome::close;
}

// State of one name resolution raced against the deadline. Shared with the resolver's handler,
// which may run after the exchange gave up waiting (getaddrinfo cannot be interrupted).
struct Resolution {
  explicit Resolution(const asio::any_io_executor& ex) : resolver(ex), done(ex) {}
  tcp::resolver resolver;
  asio::steady_timer done;  // cancelled when the resolver answers
  beast::error_code ec;
  tcp::resolver::results_type results;
  bool finished = false;
};

// The resolver's completion handler (a plain callable, not a coroutine).
struct ResolveHandler {
  std::shared_ptr<Resolution> r;
  void operator()(const beast::error_code& ec, tcp::resolver::results_type results) const {
    r->ec = ec;
    r->results = std::move(results);
    r->finished = true;
    r->done.cancel();
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// The client

struct HttpClient::Impl {
  Impl(asio::any_io_executor e, HttpClientOptions o)
      : ex(std::move(e)), options(std::move(o)), tls_ctx(ssl::context::tls_client) {
    tls_ctx.set_default_verify_paths();
    if (!options.extra_ca_file.empty()) {
      beast::error_code ec;
      tls_ctx.load_verify_file(options.extra_ca_file, ec);
      if (ec) {
        throw std::runtime_error("cannot load the CA file " + options.extra_ca_file + ": " +
                                 ec.message());
      }
    }
    tls_ctx.set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_min_proto_version(tls_ctx.native_handle(), TLS1_2_VERSION);
  }

  const asio::any_io_executor ex;
  const HttpClientOptions options;
  ssl::context tls_ctx;  // SSL_CTX is safe to share between threads once configured

  mutable std::mutex mutex;
  // Guarded by mutex: idle connections per pool key, the most recently used last.
  std::map<std::string, std::vector<std::shared_ptr<Connection>>> idle;
  bool closed = false;  // guarded by mutex: the HttpClient is gone, nothing is pooled any more

  bool expired(const Connection& c, Clock::time_point now) const {
    return now - c.idle_since > options.idle_keepalive;
  }

  // Moves every expired connection out of the pool (mutex held).
  void take_expired(Clock::time_point now, std::vector<std::shared_ptr<Connection>>& out) {
    for (auto it = idle.begin(); it != idle.end();) {
      auto& list = it->second;
      for (auto c = list.begin(); c != list.end();) {
        if (expired(**c, now)) {
          out.push_back(std::move(*c));
          c = list.erase(c);
        } else {
          ++c;
        }
      }
      it = list.empty() ? idle.erase(it) : std::next(it);
    }
  }

  // Closes connections that leave the pool healthy: TLS ones say goodbye in the background.
  void retire(std::vector<std::shared_ptr<Connection>>& conns) {
    for (auto& c : conns) {
      if (c->tls && c->lowest().socket().is_open()) {
        asio::co_spawn(asio::make_strand(ex), shutdown_tls(std::move(c)), asio::detached);
      } else {
        close_now(*c);
      }
    }
    conns.clear();
  }

  // A live idle connection for `key`, or null.
  std::shared_ptr<Connection> acquire(const std::string& key) {
    std::vector<std::shared_ptr<Connection>> expired_conns;
    for (;;) {
      std::shared_ptr<Connection> c;
      {
        std::lock_guard lock(mutex);
        take_expired(Clock::now(), expired_conns);
        if (auto it = idle.find(key); it != idle.end()) {
          c = std::move(it->second.back());
          it->second.pop_back();
          if (it->second.empty()) idle.erase(it);
        }
      }
      if (!c || looks_alive(*c)) {
        retire(expired_conns);
        return c;
      }
      close_now(*c);
    }
  }

  // Returns a connection that finished a response and may serve another.
  void release(const std::string& key, std::shared_ptr<Connection> c) {
    std::vector<std::shared_ptr<Connection>> out;
    c->lowest().expires_never();
    c->idle_since = Clock::now();
    c->reused = true;
    {
      std::lock_guard lock(mutex);
      take_expired(c->idle_since, out);
      if (closed || options.max_idle_per_host == 0) {
        out.push_back(std::move(c));
      } else {
        auto& list = idle[key];
        list.push_back(std::move(c));
        if (list.size() > options.max_idle_per_host) {  // the longest idle goes
          out.push_back(std::move(list.front()));
          list.erase(list.begin());
        }
      }
    }
    retire(out);
  }

  // Resolves the host (bounded by the deadline) and keeps the addresses the policy allows.
  asio::awaitable<std::vector<tcp::endpoint>> resolve_allowed(const Target& t,
                                                              Clock::time_point deadline,
                                                              HttpResult& out) {
    std::vector<tcp::endpoint> candidates;
    if (t.literal) {
      candidates.emplace_back(*t.literal, t.port);
    } else {
      auto ex_here = co_await asio::this_coro::executor;
      auto r = std::make_shared<Resolution>(ex_here);
      r->done.expires_at(deadline);
      r->resolver.async_resolve(t.host, std::to_string(t.port),
                                asio::bind_executor(ex_here, ResolveHandler{r}));
      co_await r->done.async_wait(kAsTuple);
      if (!r->finished) {
        r->resolver.cancel();
        out.error = "timeout";
        co_return candidates;
      }
      if (r->ec) {
        out.error = failure("connect: resolve " + t.host, r->ec, deadline);
        co_return candidates;
      }
      for (const auto& entry : r->results) candidates.push_back(entry.endpoint());
    }
    // The connection-time half of the SSRF policy: a name can resolve to anything.
    std::vector<tcp::endpoint> allowed;
    std::optional<std::string> refusal;
    for (const auto& ep : candidates) {
      const auto cls = sessions::classify_address(ep.address());
      if (sessions::address_allowed(cls, options.allow_private_networks)) {
        allowed.push_back(ep);
      } else if (!refusal) {
        refusal = "refused address " + ep.address().to_string() + " (" + class_name(cls) + ")";
      }
    }
    if (allowed.empty()) out.error = refusal.value_or("connect: " + t.host + " has no address");
    co_return allowed;
  }

  // Connects to the first reachable endpoint and, for https, completes the TLS handshake.
  asio::awaitable<std::shared_ptr<Connection>> open(const Target& t,
                                                    const std::vector<tcp::endpoint>& endpoints,
                                                    Clock::time_point deadline, HttpResult& out) {
    auto ex_here = co_await asio::this_coro::executor;
    auto c = std::make_shared<Connection>(ex_here, t.tls ? &tls_ctx : nullptr);
    beast::tcp_stream& lowest = c->lowest();
    lowest.expires_at(deadline);
    auto [ec, ep] = co_await lowest.async_connect(endpoints, kAsTuple);
    if (ec) {
      out.error = failure("connect", ec, deadline);
      co_return nullptr;
    }
    beast::error_code ignored;
    lowest.socket().set_option(tcp::no_delay(true), ignored);  // a request is one small write
    if (!t.tls) co_return c;

    SSL* handle = c->tls->native_handle();
    // SNI carries names only (RFC 6066 §3); an IP literal is checked against the certificate's
    // IP addresses by the verifier instead.
    if (!t.literal && SSL_set_tlsext_host_name(handle, t.host.c_str()) != 1) {
      out.error = "tls: cannot set the server name";
      co_return nullptr;
    }
    c->tls->set_verify_mode(ssl::verify_peer);
    c->tls->set_verify_callback(PeerVerifier(t));
    lowest.expires_at(deadline);
    auto [hec] = co_await c->tls->async_handshake(ssl::stream_base::client, kAsTuple);
    if (hec) {
      out.error = tls_failure(hec, handle, deadline);
      close_now(*c);
      co_return nullptr;
    }
    co_return c;
  }

  // One request on a connection from the pool or a new one, its response in `out`. A member
  // coroutine taking references: the caller (run or run_get) holds `self` and the arguments
  // until it returns.
  asio::awaitable<void> perform(const Target& target, const bhttp::request<bhttp::string_body>& req,
                                Clock::time_point deadline, std::size_t cap, BodyPolicy policy,
                                HttpResult& out) {
    std::optional<std::vector<tcp::endpoint>> endpoints;
    std::shared_ptr<Connection> conn = acquire(target.pool_key);
    // At most two rounds: a pooled connection found dead, then a fresh one.
    for (int round = 0; round < 2; ++round) {
      if (!conn) {
        if (!endpoints) {
          endpoints = co_await resolve_allowed(target, deadline, out);
          if (!out.error.empty()) break;
        }
        conn = co_await open(target, *endpoints, deadline, out);
        if (!conn) break;
      }
      Outcome outcome = Outcome::failed;
      if (conn->tls) {
        outcome = co_await exchange(*conn->tls, *conn, req, deadline, cap, policy, out);
      } else {
        outcome = co_await exchange(*conn->plain, *conn, req, deadline, cap, policy, out);
      }
      switch (outcome) {
        case Outcome::stale:
          close_now(*conn);
          conn.reset();
          continue;
        case Outcome::keep:
          release(target.pool_key, std::move(conn));
          break;
        case Outcome::close: {
          std::vector<std::shared_ptr<Connection>> done{std::move(conn)};
          retire(done);
          break;
        }
        case Outcome::failed:
          close_now(*conn);
          break;
      }
      break;
    }
  }

  // One POST on the strand post() made for it. A coroutine function taking named arguments,
  // not a capturing lambda (util/coro.hpp); `self` keeps the pool alive until it returns.
  static asio::awaitable<HttpResult> run(std::shared_ptr<Impl> self, Target target,
                                         std::string body, Headers headers,
                                         std::chrono::milliseconds timeout) {
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    HttpResult out;
    bhttp::request<bhttp::string_body> req;
    if (auto err = build_request(target, self->options, std::move(body), headers, req)) {
      out.error = std::move(*err);
      co_return out;
    }
    co_await self->perform(target, req, deadline, self->options.max_response_bytes,
                           BodyPolicy::truncate, out);
    out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    co_return out;
  }

  // One GET with its redirects on the strand get() made for it; see HttpClient::get.
  static asio::awaitable<FetchResult> run_get(std::shared_ptr<Impl> self, std::string url,
                                              std::chrono::milliseconds timeout,
                                              std::size_t max_bytes, int max_redirects) {
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    FetchResult result;
    std::string current = std::move(url);
    for (int hop = 0;; ++hop) {
      Target target;
      try {
        target = parse_target(current);
      } catch (const std::invalid_argument& e) {
        result.error = FetchError::invalid_url;
        result.message = hop == 0 ? e.what() : "redirect to an unusable " + std::string(e.what());
        break;
      }
      bhttp::request<bhttp::string_body> req;
      build_get_request(target, self->options, req);
      HttpResult out;
      co_await self->perform(target, req, deadline, max_bytes, BodyPolicy::whole_or_error, out);
      result.status = out.status;
      if (!out.error.empty()) {
        result.error = fetch_error_of(out.error);
        result.message = std::move(out.error);
        break;
      }
      if (is_redirect(out.status) && !out.location.empty()) {
        if (hop >= max_redirects) {  // a negative bound follows none
          result.error = FetchError::too_many_redirects;
          result.message = "more than " + std::to_string(max_redirects) + " redirects";
          break;
        }
        auto next = resolve_location(current, out.location);
        if (!next) {
          result.error = FetchError::invalid_url;
          result.message = "redirect to an unusable URL: Location cannot be parsed";
          break;
        }
        current = std::move(*next);
        ++result.redirects;
        continue;
      }
      if (out.status < 200 || out.status >= 300) {
        result.error = FetchError::http_status;
        result.message = "the server answered HTTP " + std::to_string(out.status);
        break;
      }
      result.body = std::move(out.body);
      result.content_type = std::move(out.content_type);
      result.final_url = std::move(current);
      break;
    }
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    co_return result;
  }
};

HttpClient::HttpClient(asio::any_io_executor ex, HttpClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(options))) {}

HttpClient::~HttpClient() {
  std::map<std::string, std::vector<std::shared_ptr<Connection>>> idle;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->closed = true;
    idle.swap(impl_->idle);
  }
  // Abruptly: the executor may be on its way down too, so nothing is left running.
  for (auto& [key, list] : idle) {
    for (auto& c : list) close_now(*c);
  }
}

asio::awaitable<HttpResult> HttpClient::post(std::string url, std::string body, Headers headers,
                                             std::chrono::milliseconds timeout) {
  Target target;
  try {
    target = parse_target(url);  // the one exception: a URL we cannot use
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("webhook ") + e.what());
  }
  std::shared_ptr<Impl> self = impl_;
  auto strand = asio::make_strand(self->ex);
  co_return co_await asio::co_spawn(
      strand,
      Impl::run(std::move(self), std::move(target), std::move(body), std::move(headers), timeout),
      asio::use_awaitable);
}

asio::awaitable<FetchResult> HttpClient::get(std::string url, std::chrono::milliseconds timeout,
                                             std::size_t max_bytes, int max_redirects) {
  std::shared_ptr<Impl> self = impl_;
  auto strand = asio::make_strand(self->ex);
  co_return co_await asio::co_spawn(
      strand, Impl::run_get(std::move(self), std::move(url), timeout, max_bytes, max_redirects),
      asio::use_awaitable);
}

std::string_view fetch_error_name(FetchError e) noexcept {
  switch (e) {
    case FetchError::none:
      return "none";
    case FetchError::invalid_url:
      return "invalid_url";
    case FetchError::refused_address:
      return "refused_address";
    case FetchError::too_large:
      return "too_large";
    case FetchError::timeout:
      return "timeout";
    case FetchError::network:
      return "network";
    case FetchError::http_status:
      return "http_status";
    case FetchError::too_many_redirects:
      return "too_many_redirects";
  }
  return "network";
}

std::size_t HttpClient::idle_connections() const {
  const auto now = Clock::now();
  std::size_t n = 0;
  std::lock_guard lock(impl_->mutex);
  for (const auto& [key, list] : impl_->idle) {
    for (const auto& c : list) n += impl_->expired(*c, now) ? 0 : 1;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Retry-After

namespace {

// A cursor over an HTTP-date; every read checks the bounds.
class DateReader {
 public:
  explicit DateReader(std::string_view s) : s_(s) {}
  bool done() const { return pos_ == s_.size(); }
  bool literal(std::string_view t) {
    if (s_.substr(pos_, t.size()) != t) return false;
    pos_ += t.size();
    return true;
  }
  // Exactly n ASCII digits.
  bool digits(std::size_t n, int& value) {
    if (s_.size() - pos_ < n) return false;
    value = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const char c = s_[pos_ + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    pos_ += n;
    return true;
  }
  // One of `names` (case-sensitive, RFC 9110 §5.6.7); its index.
  template <std::size_t N>
  bool one_of(const std::array<std::string_view, N>& names, int& index) {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(names[i])) {
        index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }
  // "HH:MM:SS"
  bool time_of_day(int& h, int& m, int& s) {
    return digits(2, h) && literal(":") && digits(2, m) && literal(":") && digits(2, s) &&
           h <= 23 && m <= 59 && s <= 60;  // 60: a leap second
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDays = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct CivilTime {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

// "Sun, 06 Nov 1994 08:49:37 GMT"
bool read_imf_fixdate(std::string_view s, CivilTime& t) {
  DateReader r(s);
  int wd = 0;
  return r.one_of(kDays, wd) && r.literal(", ") && r.digits(2, t.day) && r.literal(" ") &&
         r.one_of(kMonths, t.month) && r.literal(" ") && r.digits(4, t.year) && r.literal(" ") &&
         r.time_of_day(t.hour, t.minute, t.second) && r.literal(" GMT") && r.done();
}

// "Sunday, 06-Nov-94 08:49:37 GMT" (obsolete, RFC 850)
bool read_rfc850(std::string_view s, CivilTime& t) {
  DateReader r(s);
  int wd = 0;
  return r.one_of(kLongDays, wd) && r.literal(", ") && r.digits(2, t.day) && r.literal("-") &&
         r.one_of(kMonths, t.month) && r.literal("-") && r.digits(2, t.year) && r.literal(" ") &&
         r.time_of_day(t.hour, t.minute, t.second) && r.literal(" GMT") && r.done();
}

// "Sun Nov  6 08:49:37 1994" (obsolete, C asctime)
bool read_asctime(std::string_view s, CivilTime& t) {
  DateReader r(s);
  int wd = 0;
  if (!r.one_of(kDays, wd) || !r.literal(" ") || !r.one_of(kMonths, t.month) || !r.literal(" ")) {
    return false;
  }
  if (!(r.literal(" ") ? r.digits(1, t.day) : r.digits(2, t.day))) return false;
  return r.literal(" ") && r.time_of_day(t.hour, t.minute, t.second) && r.literal(" ") &&
         r.digits(4, t.year) && r.done();
}

// Whole seconds: years up to 9999 do not fit system_clock's nanoseconds.
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view s,
                                                        std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  CivilTime t;
  if (read_rfc850(s, t)) {
    // RFC 9110 §5.6.7: a two-digit year more than 50 years ahead is in the past century.
    const int this_year = static_cast<int>(year_month_day(floor<days>(now)).year());
    t.year += this_year / 100 * 100;
    if (t.year > this_year + 50) t.year -= 100;
  } else if (!read_imf_fixdate(s, t) && !read_asctime(s, t)) {
    return std::nullopt;
  }
  const year_month_day date{year(t.year), month(static_cast<unsigned>(t.month + 1)),
                            day(static_cast<unsigned>(t.day))};
  if (!date.ok()) return std::nullopt;
  return sys_days(date) + hours(t.hour) + minutes(t.minute) + seconds(t.second);
}

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  value = util::trim_ows(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t n = 0;
    for (char c : value) {
      n = std::min(n * 10 + (c - '0'), kMaxRetryAfterSeconds);  // saturates, never overflows
    }
    return seconds(n);
  }
  const auto date = parse_http_date(value, now);
  if (!date) return std::nullopt;
  // Rounded up (now's fraction of a second is dropped): retrying a little early would only meet
  // the same refusal.
  const std::int64_t delta = (*date - floor<seconds>(now)).count();
  return seconds(std::clamp<std::int64_t>(delta, 0, kMaxRetryAfterSeconds));
}

}  // namespace gw::webhooks
