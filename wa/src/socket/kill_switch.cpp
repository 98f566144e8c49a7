#include "wa/socket/kill_switch.hpp"

#include <sys/socket.h>

#include <algorithm>

namespace wa::socket {

void KillSwitch::trip() {
  std::lock_guard lock(mu_);
  tripped_ = true;
  // shutdown(2), not close(2): the descriptor stays the transport's until it closes it, so no
  // other thread's number is touched; its pending reads and writes end with an error.
  for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
}

bool KillSwitch::tripped() const {
  std::lock_guard lock(mu_);
  return tripped_;
}

bool KillSwitch::attach(int fd) {
  std::lock_guard lock(mu_);
  if (tripped_) return false;
  fds_.push_back(fd);
  return true;
}

void KillSwitch::detach(int fd) {
  std::lock_guard lock(mu_);
  fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
}

}  // namespace wa::socket
