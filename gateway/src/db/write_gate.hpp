#pragma once
// Turns to write, first come first served: the SQLite backend's writers of one file take one
// before SQLite's write lock (db/sqlite.cpp). A turn is released by whoever holds it, from any
// thread (not a mutex: a transaction may begin and end on different threads).
// Thread safety: all members may be called from any thread.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>

namespace gw::db {

class WriteGate {
 public:
  /// Waits for the caller's turn, in arrival order; false (and no turn) after `wait`.
  bool acquire(std::chrono::milliseconds wait);
  /// Ends the current turn; the next waiter's begins.
  void release();
  /// How many callers wait for a turn (group commit in db/sqlite.cpp, /metrics, tests).
  [[nodiscard]] std::size_t waiting() const;

  struct Busy {
    uint64_t turns = 0;  ///< turns given so far
    double seconds = 0;  ///< time the turns were held, the current one up to now
  };
  /// How much of the time someone held a turn: with one writer handle per file, all writes of
  /// the file run in these turns, so a share near 1 means the writes are the limit (/metrics).
  [[nodiscard]] Busy busy() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_ticket_ = 0;
  uint64_t serving_ = 0;
  std::set<uint64_t> abandoned_;                        // tickets whose callers stopped waiting
  std::chrono::steady_clock::time_point held_since_{};  // of the current turn, when held
  bool held_ = false;
  uint64_t turns_ = 0;
  std::chrono::steady_clock::duration held_total_{};
};

}  // namespace gw::db
