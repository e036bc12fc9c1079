// Child processes for the CLI tests; see process.hpp.
#include "process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace dialkit::test {

namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// The current environment with `overrides` applied, as owned strings.
std::vector<std::string> make_environment(const Environment& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    const auto eq = entry.find('=');
    const std::string key(entry.substr(0, eq));
    if (!overrides.contains(key)) out.emplace_back(entry);
  }
  for (const auto& [key, value] : overrides) out.push_back(key + "=" + value);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits for `pid` up to `limit`, then kills it; returns the decoded status.
int reap(pid_t pid, std::chrono::milliseconds limit, bool& timed_out) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return decode_status(status);
    if (r < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return decode_status(status);
    }
    // Nothing to read any more; a short poll on no descriptors is the portable way to wait
    // for a child that closed its output but has not exited yet.
    ::poll(nullptr, 0, 5);
  }
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "dialkit-cli-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Child::Child(const std::string& program, const std::vector<std::string>& args,
             const Environment& env) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    throw_errno("pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);

  std::vector<std::string> argv_strings{program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  auto argv = pointers(argv_strings);
  auto env_strings = make_environment(env);
  auto envp = pointers(env_strings);
  const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  out_fd_ = out[0];
  err_fd_ = err[0];
  if (rc != 0) {
    errno = rc;
    throw_errno("posix_spawn");
  }
  // A child that exits early must not kill the test with SIGPIPE on our next write.
  std::signal(SIGPIPE, SIG_IGN);
}

Child::~Child() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  for (int fd : {in_, out_fd_, err_fd_})
    if (fd >= 0) ::close(fd);
}

void Child::write_stdin(std::string_view data) {
  while (!data.empty()) {
    const auto n = ::write(in_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void Child::close_stdin() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

void Child::close_stdout() {
  if (out_fd_ >= 0) ::close(out_fd_);
  out_fd_ = -1;
}

void Child::send_signal(int sig) { ::kill(pid_, sig); }

bool Child::pump(std::chrono::milliseconds limit, const std::string* buffer,
                 std::string_view needle) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (buffer != nullptr && buffer->find(needle) != std::string::npos) return true;
    if (out_fd_ < 0 && err_fd_ < 0) return buffer == nullptr;
    const int wait_ms = remaining_ms(deadline);
    if (wait_ms == 0) return false;
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    const int n = ::poll(fds, 2, wait_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char chunk[4096];
      const auto got = ::read(fds[i].fd, chunk, sizeof chunk);
      int& fd = i == 0 ? out_fd_ : err_fd_;
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        ::close(fd);
        fd = -1;
      } else {
        (i == 0 ? out_ : err_).append(chunk, static_cast<std::size_t>(got));
      }
    }
  }
}

bool Child::wait_for_stdout(std::string_view needle, std::chrono::milliseconds limit) {
  return pump(limit, &out_, needle);
}

bool Child::wait_for_stderr(std::string_view needle, std::chrono::milliseconds limit) {
  return pump(limit, &err_, needle);
}

Outcome Child::finish(std::chrono::milliseconds limit) {
  close_stdin();
  const auto start = std::chrono::steady_clock::now();
  Outcome o;
  if (!pump(limit, nullptr, {})) o.timed_out = true;
  const auto used = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  bool killed = false;
  o.code = reap(pid_, limit > used ? limit - used : 0ms, killed);
  reaped_ = true;
  o.timed_out = o.timed_out || killed;
  o.out = out_;
  o.err = err_;
  return o;
}

Outcome run(const std::string& program, const std::vector<std::string>& args,
            const Environment& env, std::string_view input, std::chrono::milliseconds limit) {
  Child child(program, args, env);
  // Test inputs are a few lines: far below the pipe buffer, so this cannot block.
  child.write_stdin(input);
  return child.finish(limit);
}

PtyChild::PtyChild(const std::string& program, const std::vector<std::string>& args,
                   const Environment& env, bool stderr_to_pipe, unsigned short columns) {
  std::vector<std::string> argv_strings{program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  auto argv = pointers(argv_strings);
  auto env_strings = make_environment(env);
  auto envp = pointers(env_strings);
  int err[2] = {-1, -1};
  if (stderr_to_pipe && ::pipe2(err, O_CLOEXEC) != 0) throw_errno("pipe2");
  winsize size{};
  size.ws_row = 24;
  size.ws_col = columns;
  pid_ = ::forkpty(&master_, nullptr, nullptr, columns == 0 ? nullptr : &size);
  if (pid_ < 0) throw_errno("forkpty");
  if (pid_ == 0) {
    // Only async-signal-safe calls between fork and exec.
    if (stderr_to_pipe) ::dup2(err[1], STDERR_FILENO);
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  if (stderr_to_pipe) {
    ::close(err[1]);
    err_fd_ = err[0];
  }
}

PtyChild::~PtyChild() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (master_ >= 0) ::close(master_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void PtyChild::send_signal(int sig) { ::kill(pid_, sig); }

void PtyChild::drain_stderr(int wait_ms) {
  while (err_fd_ >= 0) {
    pollfd fd{err_fd_, POLLIN, 0};
    if (::poll(&fd, 1, wait_ms) <= 0) return;
    char chunk[4096];
    const auto got = ::read(err_fd_, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      ::close(err_fd_);
      err_fd_ = -1;
      return;
    }
    err_.append(chunk, static_cast<std::size_t>(got));
  }
}

void PtyChild::type(std::string_view keys) {
  while (!keys.empty()) {
    const auto n = ::write(master_, keys.data(), keys.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    keys.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool PtyChild::read_some(std::chrono::milliseconds limit) {
  drain_stderr(0);  // a full stderr pipe must not stall the child
  if (eof_) return false;
  pollfd fd{master_, POLLIN, 0};
  const int n = ::poll(&fd, 1, static_cast<int>(limit.count()));
  if (n <= 0) return false;
  char chunk[4096];
  const auto got = ::read(master_, chunk, sizeof chunk);
  // Linux reports EIO on the master once the last slave descriptor is closed.
  if (got <= 0) {
    if (got < 0 && errno == EINTR) return true;
    eof_ = true;
    return false;
  }
  output_.append(chunk, static_cast<std::size_t>(got));
  return true;
}

bool PtyChild::wait_for(std::string_view needle, std::size_t from, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (output_.size() > from && output_.find(needle, from) != std::string::npos) return true;
    const int left = remaining_ms(deadline);
    if (left == 0 || eof_) return false;
    read_some(std::chrono::milliseconds(left));
  }
}

Outcome PtyChild::finish(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  Outcome o;
  while (!eof_) {
    const int left = remaining_ms(deadline);
    if (left == 0) {
      o.timed_out = true;
      break;
    }
    read_some(std::chrono::milliseconds(left));
  }
  bool killed = false;
  o.code = reap(pid_, std::chrono::milliseconds(remaining_ms(deadline)), killed);
  reaped_ = true;
  drain_stderr(1000);  // the child is gone: its stderr ends at once
  o.timed_out = o.timed_out || killed;
  o.out = output_;
  o.err = err_;
  return o;
}

}  // namespace dialkit::test
