#pragma once
// Coroutine helpers that work around a g++ 12 defect: a closure or other aggregate passed as a
// prvalue to a coroutine's by-value parameter is destroyed twice (seen with ASan: a lambda that
// captures a shared_ptr drops one reference too many). The same happens to a lambda coroutine
// with captures handed to co_spawn. So callables cross into coroutines by pointer: the caller
// keeps the object (a named local, or the temporary of its own full-expression) alive while it
// awaits, and the coroutine only calls it.
//
//   auto work = [this, rt] { launch(rt); };
//   co_await util::run_on(strand, work);      // runs work() on `strand`, resumes here after
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>

namespace gw::util {

/// Calls (*f)() inside a coroutine; f must outlive the awaiting of the result.
template <typename F>
boost::asio::awaitable<std::invoke_result_t<F&>> invoke_ptr(F* f) {
  co_return (*f)();
}

/// Runs `f()` on `ex` and yields its result to the awaiting coroutine (on its own executor).
/// `f` must be an lvalue that outlives the co_await.
template <typename Executor, typename F>
auto run_on(Executor ex, F& f) {
  return boost::asio::co_spawn(ex, invoke_ptr(&f), boost::asio::use_awaitable);
}
template <typename Executor, typename F>
requires(!std::is_lvalue_reference_v<F>) void run_on(Executor, F&&) =
    delete;  // name the callable first (see above)

}  // namespace gw::util
