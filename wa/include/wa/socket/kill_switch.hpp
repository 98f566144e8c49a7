#pragma once
// A way to cut a client's connection from any thread. The WebSocket transport registers its TCP
// socket here while it is open; trip() shuts every registered socket down (shutdown(2): the peer
// sees the connection end at once, and the owner's pending read completes with end-of-stream the
// next time its strand runs) and makes every later connection fail as soon as its TCP connect
// completes. For an application that must stop a client whose strand may be blocked (the gateway
// in cluster mode when its database stops answering: docs/CLUSTER.md "Fencing").
#include <mutex>
#include <vector>

namespace wa::socket {

class KillSwitch {
 public:
  /// Thread-safe, idempotent; cannot be undone (make a new switch for a new client).
  void trip();
  bool tripped() const;

  /// For the transport: `fd` is an open socket from now on; false (nothing registered) when the
  /// switch has already tripped, and the caller must not use the connection.
  bool attach(int fd);
  /// For the transport, before it closes `fd` (so that trip() never touches a reused number).
  void detach(int fd);

 private:
  mutable std::mutex mu_;
  bool tripped_ = false;
  std::vector<int> fds_;
};

}  // namespace wa::socket
