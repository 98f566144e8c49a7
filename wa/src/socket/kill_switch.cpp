#include "wa/socket/kill_switch.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace wa::socket {

void KillSwitch::trip() {
  std::lock_guard lock(mu_);
  tripped_ = true;
  // shutdown(2) acts on the socket, whichever descriptor names it: the transport's reads and
  // writes end with an error. The duplicates stay open until detach().
  for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
}

bool KillSwitch::tripped() const {
  std::lock_guard lock(mu_);
  return tripped_;
}

int KillSwitch::attach(int fd) {
  std::lock_guard lock(mu_);
  if (tripped_) return -1;
  const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return -1;
  fds_.push_back(dup);
  return dup;
}

void KillSwitch::detach(int handle) {
  if (handle < 0) return;
  std::lock_guard lock(mu_);
  auto it = std::find(fds_.begin(), fds_.end(), handle);
  if (it == fds_.end()) return;
  fds_.erase(it);
  ::close(handle);
}

}  // namespace wa::socket
