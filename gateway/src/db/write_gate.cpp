#include "db/write_gate.hpp"

namespace gw::db {

bool WriteGate::acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  const uint64_t ticket = next_ticket_++;
  if (cv_.wait_for(lock, wait, [&] { return serving_ == ticket; })) {
    held_ = true;
    held_since_ = std::chrono::steady_clock::now();
    ++turns_;
    return true;
  }
  abandoned_.insert(ticket);  // skipped when its turn comes
  return false;
}

void WriteGate::release() {
  {
    std::lock_guard lock(mu_);
    if (held_) held_total_ += std::chrono::steady_clock::now() - held_since_;
    held_ = false;
    ++serving_;
    while (abandoned_.erase(serving_) > 0) ++serving_;
  }
  cv_.notify_all();
}

std::size_t WriteGate::waiting() const {
  std::lock_guard lock(mu_);
  // From serving_ on: the holder's ticket, then the waiters' and the abandoned ones.
  const uint64_t queued = next_ticket_ - serving_;
  return queued == 0 ? 0 : static_cast<std::size_t>(queued - 1 - abandoned_.size());
}

WriteGate::Busy WriteGate::busy() const {
  std::lock_guard lock(mu_);
  auto total = held_total_;
  if (held_) total += std::chrono::steady_clock::now() - held_since_;
  return {turns_, std::chrono::duration<double>(total).count()};
}

}  // namespace gw::db
