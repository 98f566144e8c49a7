#include "sandbox/driver.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/json/parse.hpp>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace gw::sandbox {

namespace fs = std::filesystem;

Link parse_ready_line(const std::string& line) {
  boost::system::error_code ec;
  auto v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) {
    throw std::runtime_error("the sandbox driver's first line is not a JSON object: " +
                             line.substr(0, 200));
  }
  const auto& o = v.get_object();
  auto field = [&](const char* name) {
    const auto* p = o.if_contains(name);
    if (p == nullptr || !p->is_string() || p->get_string().empty()) {
      throw std::runtime_error(std::string("the sandbox driver's ready line lacks \"") + name +
                               "\"");
    }
    return std::string(p->get_string());
  };
  return Link{field("ws_url"), field("root_public_key"), field("ca_file"), field("control_url"),
              field("token")};
}

fs::path resolve_emulator_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::vector<fs::path> candidates;
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / ".." / ".." / "emulator");
    candidates.push_back(exe.parent_path() / ".." / "share" / "wa-gateway" / "emulator");
  }
  candidates.emplace_back("emulator");
  for (const auto& c : candidates) {
    if (fs::is_regular_file(c / "src" / "sandbox.mjs", ec)) return fs::weakly_canonical(c, ec);
  }
  return {};
}

namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Reaps `pid` within `wait`; true when it exited.
bool reap(pid_t pid, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

std::unique_ptr<Driver> Driver::start(const fs::path& emulator_dir, const fs::path& state_dir,
                                      std::chrono::milliseconds timeout) {
  std::error_code ec;
  const auto script = emulator_dir / "src" / "sandbox.mjs";
  if (emulator_dir.empty() || !fs::is_regular_file(script, ec)) {
    throw std::runtime_error(
        "the emulator is missing: no " +
        (emulator_dir.empty() ? std::string("emulator/src/sandbox.mjs beside the executable")
                              : script.string()) +
        "; set SANDBOX_EMULATOR_DIR to the emulator directory of a checkout (with `npm ci` "
        "done at the checkout root)");
  }
  fs::create_directories(state_dir, ec);
  if (ec) throw std::runtime_error("cannot create " + state_dir.string() + ": " + ec.message());

  std::array<int, 2> in{-1, -1};
  std::array<int, 2> out{-1, -1};
  if (::pipe2(in.data(), O_CLOEXEC) != 0 || ::pipe2(out.data(), O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  const std::string script_s = script.string();
  const std::string state_s = state_dir.string();
  std::vector<std::string> args{"node", script_s, "--state-dir", state_s};
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, "node", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close_fd(in[0]);
  close_fd(out[1]);
  if (rc != 0) {
    close_fd(in[1]);
    close_fd(out[0]);
    throw std::runtime_error(
        rc == ENOENT ? std::string("node is not installed (or not on PATH): the sandbox runs the "
                                   "emulator with Node.js 20 or later (scripts/install-deps.sh "
                                   "installs it)")
                     : std::string("cannot start node: ") + std::strerror(rc));
  }
  // The ready line, within `timeout`.
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string failure;
  while (true) {
    if (auto nl = line.find('\n'); nl != std::string::npos) {
      line.resize(nl);
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failure = "the sandbox driver was not ready within " +
                std::to_string(timeout.count() / 1000) + " s";
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    std::array<char, 4096> buf{};
    const ssize_t got = ::read(out[0], buf.data(), buf.size());
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      failure = "the sandbox driver (node " + script_s +
                ") exited before it was ready; its messages are above (is `npm ci` done at the "
                "checkout root?)";
      break;
    }
    line.append(buf.data(), static_cast<std::size_t>(got));
    if (line.size() > 64 * 1024) {
      failure = "the sandbox driver printed no ready line";
      break;
    }
  }
  // Nothing more is read from its stdout (the driver prints only the ready line there).
  close_fd(out[0]);
  std::unique_ptr<Driver> d(new Driver(pid, in[1], Link{}));
  if (!failure.empty()) throw std::runtime_error(failure);  // ~Driver stops the child
  d->link_ = parse_ready_line(line);
  return d;
}

Driver::~Driver() {
  close_fd(stdin_fd_);
  if (!reap(pid_, std::chrono::milliseconds(4000))) {
    ::kill(pid_, SIGTERM);
    if (!reap(pid_, std::chrono::milliseconds(3000))) {
      ::kill(pid_, SIGKILL);
      reap(pid_, std::chrono::milliseconds(1000));
    }
  }
}

}  // namespace gw::sandbox
