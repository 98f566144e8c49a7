// The webhook HTTP client (post) against the scripted server of http_test_server.hpp: real
// sockets, real TLS. Durations are only asserted as "well below the timeout" (a loaded 2-core
// machine is slow).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "http_test_server.hpp"
#include "webhooks/http_client.hpp"

namespace gw::webhooks {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;
using Request = bhttp::request<bhttp::string_body>;
using namespace gw::testing::http_server;

// ---------------------------------------------------------------------------------------------
// The fixture: the client's io_context on two threads, so that exchanges really run on strands.

class WebhookHttpClient : public ::testing::Test {
 protected:
  WebhookHttpClient() : work_(asio::make_work_guard(ioc_)) {
    for (auto& t : threads_) t = std::thread([this] { ioc_.run(); });
  }
  ~WebhookHttpClient() override {
    work_.reset();
    ioc_.stop();  // background TLS goodbyes are not waited for
    for (auto& t : threads_) t.join();
  }

  HttpClient make_client(HttpClientOptions options = {}) {
    if (options.user_agent == "wa-gateway") options.user_agent = "wa-gateway/test";
    return HttpClient(ioc_.get_executor(), std::move(options));
  }

  std::future<HttpResult> start(HttpClient& client, std::string url, std::string body = "{}",
                                Headers headers = {}, std::chrono::milliseconds timeout = 10s) {
    return asio::co_spawn(ioc_,
                          client.post(std::move(url), std::move(body), std::move(headers), timeout),
                          asio::use_future);
  }

  HttpResult post(HttpClient& client, std::string url, std::string body = "{}",
                  Headers headers = {}, std::chrono::milliseconds timeout = 10s) {
    return start(client, std::move(url), std::move(body), std::move(headers), timeout).get();
  }

  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::array<std::thread, 2> threads_;
};

// Options with one change (designated initializers trip g++ 12's missing-field warning).
template <class F>
HttpClientOptions options(F change) {
  HttpClientOptions o;
  change(o);
  return o;
}

void expect_ok(const HttpResult& r) {
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"ok":true})");
}

// ---------------------------------------------------------------------------------------------
// Requests and responses

TEST_F(WebhookHttpClient, PostsJsonWithTheHeadersAndBodyAsGiven) {
  Server server(serve_all(kOk));
  auto client = make_client();
  const std::string body = R"({"event":"message","text":"h\u00e9llo"})";
  const HttpResult r = post(client, server.url("/hook/path?x=1&y=%20"), body,
                            {{"X-Signature", "sha256=abc"},
                             {"X-Event", "message"},
                             {"Host", "evil.example"},  // framing fields are the client's own
                             {"Content-Length", "1"},
                             {"Transfer-Encoding", "chunked"}});
  expect_ok(r);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_FALSE(r.body_truncated);
  EXPECT_FALSE(r.retry_after);
  EXPECT_LT(r.elapsed, 5s);

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1U);
  const Request& req = requests[0];
  EXPECT_EQ(req.method(), bhttp::verb::post);
  EXPECT_EQ(req.target(), "/hook/path?x=1&y=%20");
  EXPECT_EQ(req.version(), 11U);
  EXPECT_EQ(req.count(bhttp::field::host), 1U);
  EXPECT_EQ(req[bhttp::field::host], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(req[bhttp::field::user_agent], "wa-gateway/test");
  EXPECT_EQ(req[bhttp::field::content_type], "application/json");
  EXPECT_EQ(req[bhttp::field::content_length], std::to_string(body.size()));
  EXPECT_EQ(req.count(bhttp::field::transfer_encoding), 0U);
  EXPECT_EQ(req[bhttp::field::connection], "keep-alive");
  EXPECT_EQ(req["X-Signature"], "sha256=abc");
  EXPECT_EQ(req["X-Event"], "message");
  EXPECT_EQ(req.body(), body);
}

TEST_F(WebhookHttpClient, CallerMayReplaceContentTypeAndUserAgent) {
  Server server(serve_all(kOk));
  auto client = make_client();
  expect_ok(
      post(client, server.url(), "{}",
           {{"content-type", "application/json; charset=utf-8"}, {"User-Agent", "n8n-test"}}));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].count(bhttp::field::content_type), 1U);
  EXPECT_EQ(requests[0][bhttp::field::content_type], "application/json; charset=utf-8");
  EXPECT_EQ(requests[0][bhttp::field::user_agent], "n8n-test");
}

TEST_F(WebhookHttpClient, MalformedCallerHeaderIsAnErrorWithoutConnecting) {
  Server server(serve_all(kOk));
  auto client = make_client();
  HttpResult r = post(client, server.url(), "{}", {{"X-Bad", "a\r\nX-Injected: 1"}});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.error.starts_with("request: ")) << r.error;
  r = post(client, server.url(), "{}", {{"Bad Name", "x"}});
  EXPECT_TRUE(r.error.starts_with("request: ")) << r.error;
  EXPECT_EQ(server.accepts(), 0);
}

TEST_F(WebhookHttpClient, ErrorStatusesAreReturnedAsIs) {
  Server errors([](Peer& p, int) {
    if (p.read()) p.write(response(500, "Internal Server Error", R"({"error":"boom"})"));
    if (p.read()) p.write(response(404, "Not Found", "no such hook", "X-Extra: 1\r\n"));
  });
  auto client = make_client();
  HttpResult r = post(client, errors.url());
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"error":"boom"})");
  EXPECT_EQ(r.error, "");
  r = post(client, errors.url());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "no such hook");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(errors.accepts(), 1) << "an error status does not cost the connection";
}

TEST_F(WebhookHttpClient, TooManyRequestsCarriesRetryAfter) {
  Server server(serve_all(response(429, "Too Many Requests", "{}", "Retry-After: 7\r\n")));
  auto client = make_client();
  const HttpResult r = post(client, server.url());
  EXPECT_EQ(r.status, 429);
  ASSERT_TRUE(r.retry_after);
  EXPECT_EQ(*r.retry_after, 7s);
}

TEST_F(WebhookHttpClient, RedirectIsReturnedNotFollowed) {
  Server server([](Peer& p, int) {
    while (auto req = p.read()) {
      if (req->target() == "/hook") {
        p.write(response(301, "Moved Permanently", "", "Location: /elsewhere\r\n"));
      } else {
        p.write(kOk);
      }
    }
  });
  auto client = make_client();
  const HttpResult r = post(client, server.url());
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.error, "");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].target(), "/hook");
}

TEST_F(WebhookHttpClient, InterimResponsesAreSkipped) {
  Server server(serve_all(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + kOk));
  auto client = make_client();
  expect_ok(post(client, server.url()));
}

TEST_F(WebhookHttpClient, BodyEndingWithTheConnectionIsRead) {
  Server server([](Peer& p, int) {
    if (p.read()) p.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end");
  });
  auto client = make_client();
  const HttpResult r = post(client, server.url());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "until the end");
  EXPECT_EQ(r.content_type, "text/plain");
  EXPECT_EQ(client.idle_connections(), 0U);
}

TEST_F(WebhookHttpClient, MalformedResponseIsAnError) {
  Server server([](Peer& p, int) {
    if (p.read()) p.write("HTTP/1.1 OK\r\n\r\n");
  });
  auto client = make_client();
  const HttpResult r = post(client, server.url());
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.error.starts_with("response: ")) << r.error;
}

TEST_F(WebhookHttpClient, OversizedResponseHeaderIsAnError) {
  Server server(serve_all("HTTP/1.1 200 OK\r\nX-Big: " + std::string(10'000, 'h') +
                          "\r\nContent-Length: 0\r\n\r\n"));
  auto client = make_client();
  const HttpResult r = post(client, server.url());
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.error.starts_with("response: ")) << r.error;
}

// ---------------------------------------------------------------------------------------------
// Bounded bodies and the deadline

TEST_F(WebhookHttpClient, HugeContentLengthIsTruncatedAtTheCap) {
  Server server(stream_forever(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000000\r\n\r\n",
      std::string(64 * 1024, 'a')));
  auto client = make_client(options([&](HttpClientOptions& o) { o.max_response_bytes = 1000; }));
  const HttpResult r = post(client, server.url(), "{}", {}, 20s);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(r.body_truncated);
  EXPECT_EQ(r.body, std::string(1000, 'a'));
  EXPECT_LT(r.elapsed, 5s) << "the rest of the body is not waited for";
  EXPECT_EQ(client.idle_connections(), 0U) << "a connection with a body still coming is closed";
}

TEST_F(WebhookHttpClient, EndlessChunkedBodyIsTruncatedAtTheCap) {
  std::string chunk = "400\r\n" + std::string(0x400, 'c') + "\r\n";
  Server server(stream_forever("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", chunk));
  auto client = make_client(options([&](HttpClientOptions& o) { o.max_response_bytes = 5000; }));
  const HttpResult r = post(client, server.url(), "{}", {}, 20s);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(r.body_truncated);
  EXPECT_EQ(r.body, std::string(5000, 'c'));
  EXPECT_LT(r.elapsed, 5s);
}

TEST_F(WebhookHttpClient, BodyOfExactlyTheCapIsWhole) {
  Server server([](Peer& p, int) {
    while (p.read()) {
      p.write(response(200, "OK", std::string(1000, 'x')));
    }
  });
  auto client = make_client(options([&](HttpClientOptions& o) { o.max_response_bytes = 1000; }));
  HttpResult r = post(client, server.url());
  EXPECT_EQ(r.body.size(), 1000U);
  EXPECT_FALSE(r.body_truncated);
  r = post(client, server.url());
  EXPECT_FALSE(r.body_truncated);
  EXPECT_EQ(server.accepts(), 1) << "a whole response leaves the connection reusable";
}

TEST_F(WebhookHttpClient, ChunkedBodyWithinTheCapIsWhole) {
  Server server(
      serve_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n "
                "world\r\n0\r\n\r\n"));
  auto client = make_client(options([&](HttpClientOptions& o) { o.max_response_bytes = 11; }));
  HttpResult r = post(client, server.url());
  EXPECT_EQ(r.body, "hello world");
  EXPECT_FALSE(r.body_truncated);
  r = post(client, server.url());
  EXPECT_EQ(r.body, "hello world");
  EXPECT_EQ(server.accepts(), 1);
}

TEST_F(WebhookHttpClient, ServerThatNeverAnswersTimesOut) {
  Server server([](Peer& p, int) {
    if (p.read()) p.wait_for_close();
  });
  auto client = make_client();
  const auto before = std::chrono::steady_clock::now();
  const HttpResult r = post(client, server.url(), "{}", {}, 300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "timeout");
  EXPECT_GE(r.elapsed, 250ms);
  EXPECT_EQ(client.idle_connections(), 0U);
}

TEST_F(WebhookHttpClient, BodyThatNeverEndsTimesOut) {
  Server server([](Peer& p, int) {
    if (p.read() && p.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part")) {
      p.wait_for_close();
    }
  });
  auto client = make_client();
  const HttpResult r = post(client, server.url(), "{}", {}, 300ms);
  EXPECT_EQ(r.status, 0) << "an incomplete response is no response";
  EXPECT_EQ(r.error, "timeout");
  EXPECT_LT(r.elapsed, 5s);
}

TEST_F(WebhookHttpClient, RefusedConnectionIsAConnectError) {
  std::uint16_t port = 0;
  {
    asio::io_context ioc;
    tcp::acceptor probe(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }  // closed again: nothing listens there now
  auto client = make_client();
  const HttpResult r = post(client, "http://127.0.0.1:" + std::to_string(port) + "/");
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.error.starts_with("connect: ")) << r.error;
}

// ---------------------------------------------------------------------------------------------
// Keep-alive

TEST_F(WebhookHttpClient, ReusesTheConnection) {
  Server server(serve_all(kOk));
  auto client = make_client();
  expect_ok(post(client, server.url()));
  EXPECT_EQ(client.idle_connections(), 1U);
  expect_ok(post(client, server.url()));
  EXPECT_EQ(server.accepts(), 1);
  EXPECT_EQ(server.requests().size(), 2U);
  EXPECT_EQ(client.idle_connections(), 1U);
}

TEST_F(WebhookHttpClient, PooledConnectionClosedByTheServerIsReplaced) {
  Server server([](Peer& p, int) {
    if (p.read()) p.write(kOk);  // says nothing of closing, then closes (a keep-alive timeout)
  });
  auto client = make_client();
  expect_ok(post(client, server.url()));
  std::this_thread::sleep_for(50ms);
  expect_ok(post(client, server.url()));
  EXPECT_EQ(server.accepts(), 2);
}

TEST_F(WebhookHttpClient, DeadPooledConnectionIsRetriedOnceOnAFreshOne) {
  // The first connection answers once, then takes the next request and closes without a word:
  // the client only learns of it when reading the status line.
  Server server([](Peer& p, int index) {
    if (index == 0) {
      if (p.read()) p.write(kOk);
      p.read();
      return;
    }
    while (p.read()) p.write(kOk);
  });
  auto client = make_client();
  expect_ok(post(client, server.url(), R"({"n":1})"));
  expect_ok(post(client, server.url(), R"({"n":2})"));
  EXPECT_EQ(server.accepts(), 2);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[1].body(), R"({"n":2})");
  EXPECT_EQ(requests[2].body(), R"({"n":2})") << "the same request, sent again";
}

TEST_F(WebhookHttpClient, RetryHappensOnlyOnce) {
  Server server([](Peer& p, int index) {
    if (index == 0 && p.read()) p.write(kOk);
    p.read();  // then every connection takes a request and closes without answering
  });
  auto client = make_client();
  expect_ok(post(client, server.url()));
  const HttpResult r = post(client, server.url());
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.error.starts_with("response: ")) << r.error;
  EXPECT_EQ(server.accepts(), 2) << "one fresh connection after the pooled one, no more";
}

TEST_F(WebhookHttpClient, FreshConnectionIsNotRetried) {
  Server server([](Peer& p, int) { p.read(); });
  auto client = make_client();
  const HttpResult r = post(client, server.url());
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.error.starts_with("response: ")) << r.error;
  EXPECT_EQ(server.accepts(), 1);
}

TEST_F(WebhookHttpClient, ConnectionCloseIsHonoured) {
  Server server([](Peer& p, int) {
    // The socket stays open: only the header tells the client not to reuse it.
    if (p.read()) p.write(response(200, "OK", R"({"ok":true})", "Connection: close\r\n"));
    p.keep_open();
  });
  auto client = make_client();
  expect_ok(post(client, server.url()));
  EXPECT_EQ(client.idle_connections(), 0U);
  expect_ok(post(client, server.url()));
  EXPECT_EQ(server.accepts(), 2);
}

TEST_F(WebhookHttpClient, Http10ResponseIsNotReused) {
  Server server([](Peer& p, int) {
    if (p.read()) {
      p.write("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 11\r\n\r\n" +
              std::string(R"({"ok":true})"));
    }
    p.keep_open();
  });
  auto client = make_client();
  expect_ok(post(client, server.url()));
  expect_ok(post(client, server.url()));
  EXPECT_EQ(server.accepts(), 2);
}

TEST_F(WebhookHttpClient, IdleConnectionsExpire) {
  Server server(serve_all(kOk));
  auto client = make_client(options([&](HttpClientOptions& o) { o.idle_keepalive = 50ms; }));
  expect_ok(post(client, server.url()));
  EXPECT_EQ(client.idle_connections(), 1U);
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(client.idle_connections(), 0U);
  // The sequential server is still serving the first connection: a new one can only be served
  // once the client has closed the old one, as it must when it expires.
  expect_ok(post(client, server.url()));
  EXPECT_EQ(server.accepts(), 2);
}

TEST_F(WebhookHttpClient, ConcurrentPostsAndABoundedPool) {
  // No answer before all six requests are in: six exchanges at once, six connections. Each
  // connection then stays open without serving more, so a reuse would show up as a timeout.
  Server server(
      [](Peer& p, int) {
        if (!p.read()) return;
        p.server().wait_for_requests(6);
        p.write(kOk);
        p.keep_open();
      },
      nullptr, true);
  auto client = make_client(options([&](HttpClientOptions& o) { o.max_idle_per_host = 2; }));
  std::vector<std::future<HttpResult>> results;
  for (int i = 0; i < 6; ++i) {
    results.push_back(start(client, server.url(), "{\"i\":" + std::to_string(i) + "}"));
  }
  for (auto& f : results) expect_ok(f.get());
  EXPECT_EQ(server.accepts(), 6);
  EXPECT_EQ(client.idle_connections(), 2U);
}

TEST_F(WebhookHttpClient, NoPoolingWhenMaxIdleIsZero) {
  Server server([](Peer& p, int) {
    if (p.read()) p.write(kOk);
    p.wait_for_close();
  });
  auto client = make_client(options([&](HttpClientOptions& o) { o.max_idle_per_host = 0; }));
  expect_ok(post(client, server.url()));
  EXPECT_EQ(client.idle_connections(), 0U);
  expect_ok(post(client, server.url()));
  EXPECT_EQ(server.accepts(), 2);
}

// ---------------------------------------------------------------------------------------------
// TLS

class WebhookHttpClientTls : public WebhookHttpClient {
 protected:
  static void SetUpTestSuite() {
    good_ = new KeyAndCert(make_certificate("DNS:localhost,IP:127.0.0.1"));
    other_ = new KeyAndCert(make_certificate("DNS:other.example"));
  }
  static void TearDownTestSuite() {
    delete good_;
    delete other_;
  }
  static KeyAndCert* good_;
  static KeyAndCert* other_;
};
KeyAndCert* WebhookHttpClientTls::good_ = nullptr;
KeyAndCert* WebhookHttpClientTls::other_ = nullptr;

TEST_F(WebhookHttpClientTls, TrustsTheExtraCaAndReusesTheConnection) {
  Server server(serve_all(kOk), good_);
  TempFile ca("good.pem", good_->cert_pem);
  auto client = make_client(options([&](HttpClientOptions& o) { o.extra_ca_file = ca.path(); }));
  const std::string url = "https://localhost:" + std::to_string(server.port()) + "/hook";
  expect_ok(post(client, url, R"({"tls":true})"));
  expect_ok(post(client, url));
  EXPECT_EQ(server.accepts(), 1);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].body(), R"({"tls":true})");
  EXPECT_EQ(requests[0][bhttp::field::host], "localhost:" + std::to_string(server.port()));
  EXPECT_EQ(server.server_names(), std::vector<std::string>{"localhost"}) << "SNI";
}

TEST_F(WebhookHttpClientTls, VerifiesIpAddressesWithoutSni) {
  Server server(serve_all(kOk), good_);
  TempFile ca("good.pem", good_->cert_pem);
  auto client = make_client(options([&](HttpClientOptions& o) { o.extra_ca_file = ca.path(); }));
  expect_ok(post(client, server.url()));
  EXPECT_EQ(server.server_names(), std::vector<std::string>{""}) << "no SNI for an IP address";
}

TEST_F(WebhookHttpClientTls, RefusesACertificateForAnotherName) {
  Server server(serve_all(kOk), other_);
  TempFile ca("other.pem", other_->cert_pem);
  auto client = make_client(options([&](HttpClientOptions& o) { o.extra_ca_file = ca.path(); }));
  HttpResult r = post(client, server.url());
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.error.starts_with("tls: ")) << r.error;
  EXPECT_NE(r.error.find("mismatch"), std::string::npos) << r.error;
  r = post(client, "https://localhost:" + std::to_string(server.port()) + "/hook");
  EXPECT_TRUE(r.error.starts_with("tls: ")) << r.error;
  EXPECT_TRUE(server.requests().empty()) << "nothing was sent";
}

TEST_F(WebhookHttpClientTls, RefusesAnUntrustedCertificate) {
  Server server(serve_all(kOk), good_);
  auto client = make_client();  // the system store only
  const HttpResult r = post(client, server.url());
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.error.starts_with("tls: ")) << r.error;
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(WebhookHttpClientTls, PlainHttpServerIsATlsError) {
  Server server(serve_all(kOk));
  auto client = make_client();
  const HttpResult r =
      post(client, "https://127.0.0.1:" + std::to_string(server.port()) + "/hook", "{}", {}, 5s);
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.error.starts_with("tls: ") || r.error == "timeout") << r.error;
}

TEST(WebhookHttpClientCa, MissingExtraCaFileThrowsAtConstruction) {
  asio::io_context ioc;
  HttpClientOptions o;
  o.extra_ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(HttpClient(ioc.get_executor(), o), std::runtime_error);
}

// ---------------------------------------------------------------------------------------------
// SSRF: the addresses a URL leads to

TEST_F(WebhookHttpClient, MetadataAddressesAreAlwaysRefused) {
  auto client =
      make_client(options([&](HttpClientOptions& o) { o.allow_private_networks = true; }));
  HttpResult r = post(client, "http://169.254.169.254/latest/meta-data/");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "refused address 169.254.169.254 (cloud metadata)");
  // IPv4-mapped IPv6 is classified by the IPv4 address inside.
  r = post(client, "http://[::ffff:169.254.169.254]/latest/meta-data/");
  EXPECT_EQ(r.error, "refused address ::ffff:169.254.169.254 (cloud metadata)");
  r = post(client, "https://[fd00:ec2::254]/");
  EXPECT_EQ(r.error, "refused address fd00:ec2::254 (cloud metadata)");
  r = post(client, "http://100.100.100.200/");
  EXPECT_EQ(r.error, "refused address 100.100.100.200 (cloud metadata)");
}

TEST_F(WebhookHttpClient, LoopbackFollowsThePrivateNetworkPolicy) {
  Server server(serve_all(kOk));
  const std::string port = std::to_string(server.port());
  {
    auto strict =
        make_client(options([&](HttpClientOptions& o) { o.allow_private_networks = false; }));
    HttpResult r = post(strict, server.url());
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.error, "refused address 127.0.0.1 (loopback)");
    // Through the resolver: the name passes a text check, its address does not.
    r = post(strict, "http://localhost:" + port + "/hook");
    EXPECT_TRUE(r.error.starts_with("refused address ")) << r.error;
    EXPECT_NE(r.error.find("(loopback)"), std::string::npos) << r.error;
    // A mapped address reaches the IPv4 listener on Linux: it must be refused all the same.
    r = post(strict, "http://[::ffff:127.0.0.1]:" + port + "/hook");
    EXPECT_EQ(r.error, "refused address ::ffff:127.0.0.1 (loopback)");
    EXPECT_EQ(server.accepts(), 0) << "refused addresses are never connected to";
  }
  auto lenient =
      make_client(options([&](HttpClientOptions& o) { o.allow_private_networks = true; }));
  expect_ok(post(lenient, server.url()));
  EXPECT_EQ(server.accepts(), 1);
}

TEST_F(WebhookHttpClient, UnusableUrlsThrow) {
  auto client = make_client();
  for (const char* url :
       {"not a url", "", "ftp://example.com/", "http://", "http:///path",
        "http://user:pw@example.com/", "http://example.com:99999/", "http://example.com:65536/",
        "http://example.com:0/", "http://exa mple.com/", "mailto:someone@example.com"}) {
    EXPECT_THROW(post(client, url), std::invalid_argument) << url;
  }
}

// ---------------------------------------------------------------------------------------------
// Retry-After

TEST(WebhookRetryAfter, DeltaSeconds) {
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(parse_retry_after("7", now), 7s);
  EXPECT_EQ(parse_retry_after(" 120\t", now), 120s);
  EXPECT_EQ(parse_retry_after("0", now), 0s);
  EXPECT_EQ(parse_retry_after("99999999999999999999999", now), std::chrono::seconds(1LL << 31));
  for (const char* bad : {"", " ", "-1", "+5", "7s", "1.5", "0x10", "7 8"}) {
    EXPECT_FALSE(parse_retry_after(bad, now)) << bad;
  }
}

TEST(WebhookRetryAfter, HttpDates) {
  // Sun, 06 Nov 1994 08:49:37 GMT
  const std::chrono::system_clock::time_point date{std::chrono::seconds(784111777)};
  const auto now = date - 90s;
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), 90s);
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), 90s);
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", now), 90s);
  // A fraction of a second before the date still waits for the whole second.
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", date - 1500ms), 2s);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", date + 10s), 0s) << "past";
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now),
            std::chrono::seconds(1LL << 31));
  for (const char* bad :
       {"Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
        "sun, 06 nov 1994 08:49:37 GMT", "Sun, 31 Feb 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT x",
        "Sun Nov 6 08:49:37 1994", "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun, 06 Nov 1994"}) {
    EXPECT_FALSE(parse_retry_after(bad, now)) << bad;
  }
}

TEST(WebhookRetryAfter, TwoDigitYearsAreNeverFarInTheFuture) {
  // Seen from 2030, "30" is 2030 and "81" (more than 50 years ahead as 2081) is 1981.
  const std::chrono::sys_days y2030 = std::chrono::year(2030) / 1 / 1;
  EXPECT_EQ(parse_retry_after("Tuesday, 01-Jan-30 00:01:00 GMT", y2030), 60s);
  EXPECT_EQ(parse_retry_after("Thursday, 01-Jan-81 00:00:00 GMT", y2030), 0s);
}

}  // namespace
}  // namespace gw::webhooks
