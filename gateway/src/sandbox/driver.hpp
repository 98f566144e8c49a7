#pragma once
// The sandbox driver process (docs/SANDBOX.md): `wa-gateway --sandbox` starts
// emulator/src/sandbox.mjs with Node, which runs the project's WhatsApp emulator and the
// simulated phones and contacts on loopback ports, and reads the one JSON line it prints when
// ready. The gateway then points WHATSAPP_SERVER_URL (and the media host's CA) at it and sends it
// commands over HTTP (sandbox routes).
//
// The child reads its stdin until end-of-file: when the gateway ends, however it ends, the pipe
// closes and the driver exits with it.
//
// Thread safety: start() and the destructor from one thread; link() is immutable afterwards.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace gw::sandbox {

/// What the driver reported when ready.
struct Link {
  std::string ws_url;           // the emulator's WhatsApp server (ws://127.0.0.1:…/ws/chat)
  std::string root_public_key;  // hex, for WHATSAPP_ROOT_PUBLIC_KEY
  std::string ca_file;          // PEM of the emulator's media host, for WHATSAPP_CA_FILE
  std::string control_url;      // the driver's command port (http://127.0.0.1:…)
  std::string token;            // bearer token of the command port
};

/// Parses the driver's ready line; std::runtime_error naming what is missing.
Link parse_ready_line(const std::string& line);

/// The emulator directory: `configured` (SANDBOX_EMULATOR_DIR) when set, else the first of
/// <exe>/../../emulator (a build in the checkout), <exe>/../share/wa-gateway/emulator (an
/// installed image), ./emulator that holds src/sandbox.mjs; empty when none does.
std::filesystem::path resolve_emulator_dir(const std::string& configured);

class Driver {
 public:
  /// Starts `node <emulator_dir>/src/sandbox.mjs --state-dir <state_dir>` and waits up to
  /// `timeout` for its ready line. Throws std::runtime_error with a message for the user (Node
  /// missing, emulator missing, driver failed).
  static std::unique_ptr<Driver> start(const std::filesystem::path& emulator_dir,
                                       const std::filesystem::path& state_dir,
                                       std::chrono::milliseconds timeout);
  /// Closes the driver's stdin, then SIGTERM if it has not exited within a few seconds.
  ~Driver();
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  [[nodiscard]] const Link& link() const noexcept { return link_; }

 private:
  Driver(pid_t pid, int stdin_fd, Link link)
      : pid_(pid), stdin_fd_(stdin_fd), link_(std::move(link)) {}
  pid_t pid_;
  int stdin_fd_;
  Link link_;
};

}  // namespace gw::sandbox
