#include "client/iq.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <optional>

namespace wa::client {

// The timer doubles as the wake-up: resolve()/fail_all() store the outcome and cancel it.
struct IqTracker::Waiter {
  explicit Waiter(const boost::asio::any_io_executor& ex) : timer(ex) {}
  boost::asio::steady_timer timer;
  std::optional<Result<binary::Node>> outcome;
};

IqTracker::IqTracker(boost::asio::any_io_executor ex, std::string prefix)
    : ex_(std::move(ex)), prefix_(std::move(prefix)) {}

IqTracker::~IqTracker() {
  fail_all(Error{Errc::client_disconnected, "client destroyed"});
}

std::string IqTracker::next_id() {
  return prefix_ + "." + std::to_string(++counter_);
}

boost::asio::awaitable<Result<binary::Node>> IqTracker::wait(std::string id,
                                                             std::chrono::milliseconds timeout) {
  auto w = std::make_shared<Waiter>(ex_);
  waiters_[id] = w;
  w->timer.expires_after(timeout);
  co_await w->timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  if (auto it = waiters_.find(id); it != waiters_.end() && it->second == w) waiters_.erase(it);
  if (w->outcome) co_return std::move(*w->outcome);
  co_return Error{Errc::iq_timeout,
                  "no answer to iq " + id + " within " + std::to_string(timeout.count()) + " ms"};
}

bool IqTracker::resolve(const binary::Node& iq) {
  const auto* id = iq.attr("id");
  if (!id) return false;
  auto it = waiters_.find(*id);
  if (it == waiters_.end()) return false;
  auto w = it->second;
  waiters_.erase(it);
  const auto* type = iq.attr("type");
  if (type && *type == "error") {
    const auto* err = iq.child("error");
    const auto* text = err ? err->attr("text") : nullptr;
    w->outcome =
        Error{Errc::iq_error, std::to_string(iq_error_code(iq)) + (text ? " " + *text : "")};
  } else {
    w->outcome = iq;
  }
  w->timer.cancel();
  return true;
}

void IqTracker::fail_all(const Error& error) {
  auto all = std::move(waiters_);
  waiters_.clear();
  for (auto& [id, w] : all) {
    w->outcome = error;
    w->timer.cancel();
  }
}

int iq_error_code(const binary::Node& iq) {
  const auto* err = iq.child("error");
  const auto* code = err ? err->attr("code") : nullptr;
  if (!code) return 0;
  int v = 0;
  auto [p, ec] = std::from_chars(code->data(), code->data() + code->size(), v);
  return ec == std::errc{} ? v : 0;
}

}  // namespace wa::client
