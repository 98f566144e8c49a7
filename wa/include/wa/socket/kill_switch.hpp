#pragma once
// A way to cut a client's connection from any thread. The WebSocket transport registers its TCP
// socket here while it is open; trip() shuts every registered socket down (shutdown(2): the peer
// sees the connection end at once, and the owner's pending read completes with end-of-stream the
// next time its strand runs) and makes every later connection fail as soon as its TCP connect
// completes. The switch keeps a duplicate descriptor of each registered socket: trip() never
// touches a number that the transport (or Beast inside it) closed and someone else reused. For an
// application that must stop a client whose strand may be blocked (the gateway in cluster mode when
// its database stops answering: docs/CLUSTER.md "Fencing").
#include <mutex>
#include <vector>

namespace wa::socket {

class KillSwitch {
 public:
  /// Thread-safe, idempotent; cannot be undone (make a new switch for a new client).
  void trip();
  bool tripped() const;

  /// For the transport: trip() cuts the socket `fd` refers to from now on. Returns a handle for
  /// detach(), or -1 (nothing registered) when the switch has already tripped or the descriptor
  /// cannot be duplicated; then the caller must not use the connection.
  int attach(int fd);
  /// For the transport, once it is done with the socket: releases the handle from attach().
  void detach(int handle);

 private:
  mutable std::mutex mu_;
  bool tripped_ = false;
  std::vector<int> fds_;  // the duplicates, owned
};

}  // namespace wa::socket
