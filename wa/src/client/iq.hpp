#pragma once
// Request/response over the socket as an awaitable: an <iq> is sent with a fresh id, and the
// caller waits for the <iq type=result|error> with that id, a timeout, or the connection ending
// (every waiter then fails with client_disconnected). docs/PROTOCOL.md §9.
// Thread safety: none; all calls on the owning client's strand.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "wa/binary/node.hpp"
#include "wa/error.hpp"

namespace wa::client {

class IqTracker {
 public:
  /// `prefix` makes ids unique across connections (e.g. random hex).
  IqTracker(boost::asio::any_io_executor ex, std::string prefix);
  ~IqTracker();
  IqTracker(const IqTracker&) = delete;
  IqTracker& operator=(const IqTracker&) = delete;

  /// A new id: "<prefix>.<counter>".
  std::string next_id();
  /// Registers a waiter for `id` (call before sending), then waits. Resolves with the response
  /// node (type=result), an Error{iq_error} carrying the server's code for type=error, an
  /// Error{iq_timeout}, or an Error{client_disconnected}.
  boost::asio::awaitable<Result<binary::Node>> wait(std::string id,
                                                    std::chrono::milliseconds timeout);
  /// Hands an incoming <iq type=result|error> to its waiter; false when nobody waits for it.
  bool resolve(const binary::Node& iq);
  /// Fails every waiter (the connection is gone).
  void fail_all(const Error& error);
  [[nodiscard]] std::size_t pending() const noexcept { return waiters_.size(); }

 private:
  struct Waiter;
  boost::asio::any_io_executor ex_;
  std::string prefix_;
  uint64_t counter_ = 0;
  std::unordered_map<std::string, std::shared_ptr<Waiter>> waiters_;
};

/// The server's error code of an <iq type=error><error code=… text=…/></iq>, or 0.
int iq_error_code(const binary::Node& iq);

}  // namespace wa::client
