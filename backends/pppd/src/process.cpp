// pppd child processes: see process.hpp.
#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace dialkit::pppd {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    reset();
    fd_ = o.release();
  }
  return *this;
}

void Fd::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

namespace {

Error sys_error(const std::string& what, int err) {
  return make_error(Errc::system_error, err, {}, what + ": " + std::strerror(err));
}

ProcessEnd end_from_status(int status) {
  if (WIFEXITED(status)) return {ProcessEnd::How::exited, WEXITSTATUS(status)};
  if (WIFSIGNALED(status)) return {ProcessEnd::How::signaled, WTERMSIG(status)};
  return {ProcessEnd::How::unknown, 0};
}

struct SpawnAttrs {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnAttrs() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnAttrs() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnAttrs(const SpawnAttrs&) = delete;
  SpawnAttrs& operator=(const SpawnAttrs&) = delete;
};

}  // namespace

Result<Child> Child::spawn(const std::string& binary, const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, int channel, int output) {
  constexpr int child_channel_fd = 3;
  // dup2 onto the same number would keep FD_CLOEXEC: move the source out of the way first.
  Fd moved_channel, moved_output;
  for (auto [fd, moved] : {std::pair{&channel, &moved_channel}, std::pair{&output, &moved_output}}) {
    if (*fd > child_channel_fd) continue;
    *moved = Fd(::fcntl(*fd, F_DUPFD_CLOEXEC, 10));
    if (!*moved) return fail(sys_error("fcntl(F_DUPFD_CLOEXEC)", errno));
    *fd = moved->get();
  }
  SpawnAttrs s;
  posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&s.actions, output, 1);
  posix_spawn_file_actions_adddup2(&s.actions, output, 2);
  posix_spawn_file_actions_adddup2(&s.actions, channel, child_channel_fd);
  // Nothing else of the host program (sockets, other sessions' channels) reaches pppd.
  posix_spawn_file_actions_addclosefrom_np(&s.actions, child_channel_fd + 1);
  // Its own process group: a Ctrl-C at the host's terminal is the host's business, and a
  // SIGKILL to the group takes pppd's helpers along.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setsigdefault(&s.attr, &all);
  posix_spawnattr_setpgroup(&s.attr, 0);
  posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  if (const int rc = posix_spawn(&pid, binary.c_str(), &s.actions, &s.attr, args.data(), envp.data());
      rc != 0)
    return fail(sys_error("cannot start " + binary, rc));
  Child c;
  c.pid_ = pid;
  c.pidfd_ = Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!c.pidfd_) {
    const int err = errno;
    c.signal_group(SIGKILL);
    (void)c.reap_blocking();
    return fail(sys_error("pidfd_open", err));
  }
  return c;
}

Child::Child(Child&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), pidfd_(std::move(o.pidfd_)), end_(std::exchange(o.end_, std::nullopt)) {}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    if (running()) (void)terminate(std::chrono::milliseconds(0));
    pid_ = std::exchange(o.pid_, -1);
    pidfd_ = std::move(o.pidfd_);
    end_ = std::exchange(o.end_, std::nullopt);
  }
  return *this;
}

Child::~Child() {
  if (running()) {
    signal_group(SIGKILL);
    (void)reap_blocking();
  }
}

void Child::signal(int sig) const noexcept {
  if (running()) ::kill(pid_, sig);
}

void Child::signal_group(int sig) const noexcept {
  if (!running()) return;
  ::kill(-pid_, sig);  // its group, created at spawn
  ::kill(pid_, sig);   // in case pppd left its group
}

ProcessEnd Child::ended(ProcessEnd end) {
  end_ = end;
  // pppd died without cleaning up: its helpers (pty command, charshunt) may still be in its
  // process group. The group id cannot be reused while members remain.
  if (end.how == ProcessEnd::How::signaled) ::kill(-pid_, SIGKILL);
  pidfd_.reset();
  return end;
}

ProcessEnd Child::reap_blocking() {
  int status = 0;
  pid_t r = -1;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  // ECHILD: the host program reaps children itself (SIGCHLD ignored): status unknown.
  return ended(r == pid_ ? end_from_status(status) : ProcessEnd{ProcessEnd::How::unknown, 0});
}

std::optional<ProcessEnd> Child::try_reap() {
  if (end_) return end_;
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) return ended(end_from_status(status));
  if (r < 0 && errno == ECHILD) return ended(ProcessEnd{ProcessEnd::How::unknown, 0});
  return std::nullopt;
}

ProcessEnd Child::terminate(std::chrono::milliseconds bound) {
  if (end_) return *end_;
  if (pid_ <= 0) return ProcessEnd{ProcessEnd::How::unknown, 0};
  signal(SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!try_reap()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{pidfd_.get(), POLLIN, 0};
    (void)::poll(&p, 1, static_cast<int>(left.count()) + 1);
  }
  if (!end_) {
    signal_group(SIGKILL);
    return reap_blocking();
  }
  return *end_;
}

}  // namespace dialkit::pppd
