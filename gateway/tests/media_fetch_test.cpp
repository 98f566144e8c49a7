// HttpClient::get, the download behind the send API's media_url, against the scripted server of
// http_test_server.hpp on 127.0.0.1: redirects (bounded, each target checked by the SSRF policy
// again), the size cap (by Content-Length before any body byte, or as the body grows), the one
// deadline over the whole exchange, and only 2xx as success with nothing partial on failure.
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "http_test_server.hpp"
#include "webhooks/http_client.hpp"

namespace gw::webhooks {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace gw::testing::http_server;

// A complete response with `body` of `type`.
std::string answer(int status, const std::string& reason, const std::string& body,
                   const std::string& type = "application/octet-stream",
                   const std::string& extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" +
         body;
}

std::string redirect(int status, const std::string& location) {
  return answer(status, "Redirect", "", "text/plain", "Location: " + location + "\r\n");
}

// Answers each request by its target: `route(target)` gives the raw response.
Server::Script by_target(std::function<std::string(const std::string&)> route) {
  return [route = std::move(route)](Peer& p, int) {
    while (auto req = p.read()) {
      if (!p.write(route(std::string(req->target())))) return;
    }
  };
}

class MediaFetch : public ::testing::Test {
 protected:
  MediaFetch() : work_(asio::make_work_guard(ioc_)) {
    for (auto& t : threads_) t = std::thread([this] { ioc_.run(); });
  }
  ~MediaFetch() override {
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_) t.join();
  }

  HttpClient make_client(bool allow_private = true) {
    HttpClientOptions o;
    o.allow_private_networks = allow_private;
    o.user_agent = "wa-gateway/test";
    return HttpClient(ioc_.get_executor(), o);
  }

  FetchResult get(HttpClient& client, std::string url, std::size_t max_bytes = 1 << 20,
                  std::chrono::milliseconds timeout = 10s, int max_redirects = 3) {
    return asio::co_spawn(ioc_, client.get(std::move(url), timeout, max_bytes, max_redirects),
                          asio::use_future)
        .get();
  }

  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::array<std::thread, 2> threads_;
};

void expect_failed(const FetchResult& r, FetchError e) {
  EXPECT_EQ(fetch_error_name(r.error), fetch_error_name(e)) << r.message;
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.message.empty());
  EXPECT_TRUE(r.body.empty()) << "nothing partial is returned";
  EXPECT_TRUE(r.final_url.empty());
}

TEST_F(MediaFetch, ReturnsTheBodyItsTypeAndTheUrl) {
  const std::string png("\x89PNG\r\n\x1a\n\0\0binary", 16);
  Server server(serve_all(answer(200, "OK", png, "image/png")));
  auto client = make_client();
  const auto r = get(client, server.url("/pic.png?size=large"));
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, png);
  EXPECT_EQ(r.content_type, "image/png");
  EXPECT_EQ(r.final_url, server.url("/pic.png?size=large"));
  EXPECT_EQ(r.redirects, 0);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1U);
  EXPECT_EQ(reqs[0].method(), bhttp::verb::get);
  EXPECT_EQ(reqs[0].target(), "/pic.png?size=large");
  EXPECT_EQ(reqs[0][bhttp::field::accept_encoding], "identity");
  EXPECT_EQ(reqs[0][bhttp::field::user_agent], "wa-gateway/test");
  EXPECT_EQ(reqs[0].count(bhttp::field::content_length), 0U);
  EXPECT_TRUE(reqs[0].body().empty());
}

TEST_F(MediaFetch, FollowsRedirectsRelativeAndAbsolute) {
  Server other(serve_all(answer(200, "OK", "the file", "application/pdf")));
  const std::string other_url = other.url("/final.pdf");
  Server server(by_target([&other_url](const std::string& target) {
    if (target == "/start") return redirect(301, "/second#fragment");
    if (target == "/second") return redirect(307, other_url);
    return answer(404, "Not Found", "");
  }));
  auto client = make_client();
  const auto r = get(client, server.url("/start"));
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.body, "the file");
  EXPECT_EQ(r.content_type, "application/pdf");
  EXPECT_EQ(r.final_url, other_url);
  EXPECT_EQ(r.redirects, 2);
  ASSERT_EQ(server.requests().size(), 2U);
  EXPECT_EQ(server.requests()[1].target(), "/second");
}

TEST_F(MediaFetch, RedirectToCloudMetadataIsRefused) {
  for (const std::string location :
       {"http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/latest/",
        "http://[::ffff:169.254.169.254]/"}) {
    Server server(serve_all(redirect(302, location)));
    auto client = make_client(true);  // whatever the private-network policy says
    const auto r = get(client, server.url("/media"));
    expect_failed(r, FetchError::refused_address);
    EXPECT_NE(r.message.find("cloud metadata"), std::string::npos) << r.message;
    EXPECT_EQ(r.redirects, 1) << "followed, then refused before connecting";
  }
}

TEST_F(MediaFetch, PrivateAddressesFollowThePolicy) {
  Server server(serve_all(answer(200, "OK", "x")));
  auto strict = make_client(false);
  const auto refused = get(strict, server.url("/x"));
  expect_failed(refused, FetchError::refused_address);
  EXPECT_NE(refused.message.find("127.0.0.1"), std::string::npos) << refused.message;
  EXPECT_EQ(server.accepts(), 0) << "nothing is connected to a refused address";
  auto lax = make_client(true);
  EXPECT_TRUE(get(lax, server.url("/x")).ok());
}

TEST_F(MediaFetch, TooManyRedirectsIsAnError) {
  Server server(by_target([](const std::string& target) {
    const int n = std::stoi(target.substr(1));
    return redirect(302, "/" + std::to_string(n + 1));
  }));
  auto client = make_client();
  const auto r = get(client, server.url("/0"), 1 << 20, 10s, 3);
  expect_failed(r, FetchError::too_many_redirects);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(server.requests().size(), 4U) << "the first request and three redirects";

  const auto none = get(client, server.url("/0"), 1 << 20, 10s, 0);
  expect_failed(none, FetchError::too_many_redirects);
}

TEST_F(MediaFetch, UnusableUrlsAreErrorsNotExceptions) {
  auto client = make_client();
  for (const std::string& url :
       std::vector<std::string>{"ftp://example.com/x", "not a url", "http://", "file:///etc/passwd",
                                "http://user:pw@127.0.0.1/"}) {
    const auto r = get(client, url);
    expect_failed(r, FetchError::invalid_url);
  }
  Server server(serve_all(redirect(302, "gopher://127.0.0.1/x")));
  const auto r = get(client, server.url("/x"));
  expect_failed(r, FetchError::invalid_url);
  EXPECT_NE(r.message.find("redirect"), std::string::npos) << r.message;
}

TEST_F(MediaFetch, DeclaredLengthOverTheCapFailsBeforeTheBody) {
  // The header promises a large body that never comes: only the Content-Length can fail it fast.
  Server server([](Peer& p, int) {
    if (!p.read()) return;
    p.write("HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 5000000\r\n\r\n");
    p.wait_for_close();
  });
  auto client = make_client();
  const auto r = get(client, server.url("/big.mp4"), 1000, 10s);
  expect_failed(r, FetchError::too_large);
  EXPECT_LT(r.elapsed, 5s);
}

TEST_F(MediaFetch, ChunkedBodyGrowingPastTheCapFails) {
  Server server(stream_forever("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                               "400\r\n" + std::string(1024, 'x') + "\r\n"));
  auto client = make_client();
  const auto r = get(client, server.url("/endless"), 64 * 1024, 10s);
  expect_failed(r, FetchError::too_large);
  EXPECT_LT(r.elapsed, 5s);
}

TEST_F(MediaFetch, BodyOfExactlyTheCapIsWhole) {
  const std::string body(4096, 'a');
  Server server([&body](Peer& p, int) {
    if (!p.read()) return;
    // Chunked, so that only counting the bytes can tell.
    p.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n" + body +
            "\r\n0\r\n\r\n");
  });
  auto client = make_client();
  const auto r = get(client, server.url("/exact"), 4096);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.body, body);
  // One byte less is too much.
  Server again([&body](Peer& p, int) {
    if (p.read()) p.write(answer(200, "OK", body));
  });
  expect_failed(get(client, again.url("/exact"), 4095), FetchError::too_large);
}

TEST_F(MediaFetch, BodyShorterThanItsLengthIsANetworkError) {
  Server server([](Peer& p, int) {
    if (!p.read()) return;
    p.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
  });  // the connection closes after ten bytes
  auto client = make_client();
  expect_failed(get(client, server.url("/liar")), FetchError::network);
}

TEST_F(MediaFetch, SlowBodyTimesOut) {
  Server server([](Peer& p, int) {
    if (!p.read()) return;
    p.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    // A byte every 50 ms: each read makes progress, only the overall deadline ends it.
    for (int i = 0; i < 400 && p.write("x"); ++i) std::this_thread::sleep_for(50ms);
  });
  auto client = make_client();
  const auto r = get(client, server.url("/slow"), 1 << 20, 700ms);
  expect_failed(r, FetchError::timeout);
  EXPECT_GE(r.elapsed, 600ms);
  EXPECT_LT(r.elapsed, 5s);
}

TEST_F(MediaFetch, TheDeadlineCoversEveryRedirect) {
  Server server(by_target([](const std::string& target) {
    std::this_thread::sleep_for(300ms);
    return redirect(302, target + "x");
  }));
  auto client = make_client();
  const auto r = get(client, server.url("/r"), 1 << 20, 800ms, 10);
  expect_failed(r, FetchError::timeout);
  EXPECT_LT(r.elapsed, 5s);
}

TEST_F(MediaFetch, OnlyTwoHundredsSucceed) {
  Server server(by_target([](const std::string& target) {
    if (target == "/missing") return answer(404, "Not Found", "no such file", "text/plain");
    if (target == "/broken") return answer(500, "Internal Server Error", "oops");
    if (target == "/empty") return answer(204, "No Content", "");
    return answer(304, "Not Modified", "");
  }));
  auto client = make_client();
  auto r = get(client, server.url("/missing"));
  expect_failed(r, FetchError::http_status);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.message.find("404"), std::string::npos);
  r = get(client, server.url("/broken"));
  expect_failed(r, FetchError::http_status);
  EXPECT_EQ(r.status, 500);
  r = get(client, server.url("/other"));
  expect_failed(r, FetchError::http_status);
  EXPECT_EQ(r.status, 304);
  r = get(client, server.url("/empty"));
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.body, "");
}

TEST_F(MediaFetch, RefusedConnectionIsANetworkError) {
  std::uint16_t port = 0;
  {
    Server gone(serve_all(""));
    port = gone.port();
  }
  auto client = make_client();
  expect_failed(get(client, "http://127.0.0.1:" + std::to_string(port) + "/x"),
                FetchError::network);
}

}  // namespace
}  // namespace gw::webhooks
