// One pppd child process: spawned with posix_spawn into its own process group, watched
// through a pidfd (no SIGCHLD handler, so it works inside any host program), always reaped.
// Not thread-safe: the session's thread owns it (or the thread a slot runs on, which is the
// same one).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <dialkit/error.hpp>

#include "mapper.hpp"

namespace dialkit::pppd {

// An fd closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset() noexcept;

 private:
  int fd_ = -1;
};

class Child {
 public:
  // The child gets /dev/null as stdin, `output` as stdout and stderr, `channel` as fd 3 and
  // no other descriptor; `env` replaces the environment.
  static Result<Child> spawn(const std::string& binary, const std::vector<std::string>& argv,
                             const std::vector<std::string>& env, int channel, int output);
  Child() = default;
  Child(Child&& o) noexcept;
  Child& operator=(Child&& o) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Never leaves a process behind: kills the group and reaps if still running.
  ~Child();

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] int pidfd() const noexcept { return pidfd_.get(); }
  [[nodiscard]] bool running() const noexcept { return pid_ > 0 && !end_; }
  void signal(int sig) const noexcept;
  // The whole process group: pppd and whatever it forked into it.
  void signal_group(int sig) const noexcept;
  // Reaps if it has exited (non-blocking).
  std::optional<ProcessEnd> try_reap();
  // SIGTERM, up to `bound` for it to exit, then SIGKILL to the group; reaps.
  ProcessEnd terminate(std::chrono::milliseconds bound);

 private:
  ProcessEnd reap_blocking();
  // Records how it ended, kills what it left in its group after a signal, closes the pidfd.
  ProcessEnd ended(ProcessEnd end);
  pid_t pid_ = -1;
  Fd pidfd_;
  std::optional<ProcessEnd> end_;
};

}  // namespace dialkit::pppd
