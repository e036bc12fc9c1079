// Mailbox and stop signals; see mailbox.hpp.
#include "mailbox.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <system_error>

#if defined(_WIN32)
#include <windows.h>
#else
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace dialkit::cli {

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
std::atomic<bool> g_stdout_closed{false};

#if defined(_WIN32)

// Windows has no self-pipe trick for Ctrl-C: the console control handler runs on a thread of
// its own and sets an auto-reset event that the main thread waits on.
HANDLE wake_event() {
  static const HANDLE event = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
  return event;
}

void wake() noexcept { ::SetEvent(wake_event()); }

BOOL WINAPI on_console_control(DWORD type) {
  if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT && type != CTRL_CLOSE_EVENT) return FALSE;
  if (g_stop_signal != 0) return FALSE;  // the second one: the default handler ends the process
  g_stop_signal = SIGINT;
  wake();
  return TRUE;
}

}  // namespace

void install_stop_signals() {
  (void)wake_event();  // before any handler can run
  ::SetConsoleCtrlHandler(on_console_control, TRUE);
}

int stop_signal() noexcept { return g_stop_signal; }

void* wake_handle() noexcept { return wake_event(); }

void drain_wake() noexcept { ::ResetEvent(wake_event()); }

#else

// Created once and never closed: a signal handler may write to it at any moment.
struct WakePipe {
  int read_fd = -1;
  int write_fd = -1;
  WakePipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
      throw std::system_error(errno, std::generic_category(), "pipe2");
    read_fd = fds[0];
    write_fd = fds[1];
  }
};

WakePipe& wake_pipe() {
  static WakePipe pipe;
  return pipe;
}

void wake() noexcept {
  const char byte = 'w';
  // A full pipe already guarantees a wake-up, so EAGAIN is fine to ignore.
  [[maybe_unused]] const auto n = ::write(wake_pipe().write_fd, &byte, 1);
}

extern "C" void on_stop_signal(int sig) {
  if (g_stop_signal == sig) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  if (g_stop_signal == 0) g_stop_signal = sig;
  const int saved = errno;
  wake();
  errno = saved;
}

}  // namespace

void install_stop_signals() {
  (void)wake_pipe();  // before any handler can run
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocking read should see EINTR
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGPIPE, &ignore, nullptr);
}

int stop_signal() noexcept { return g_stop_signal; }

int wake_fd() noexcept { return wake_pipe().read_fd; }

void drain_wake() noexcept {
  char buffer[64];
  while (::read(wake_pipe().read_fd, buffer, sizeof buffer) > 0) {
  }
}

#endif

bool stdout_closed() noexcept { return g_stdout_closed.load(); }

void note_stdout_closed() noexcept { g_stdout_closed.store(true); }

void Mailbox::post(const Event& event) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(event);
  }
  wake();
}

std::optional<Event> Mailbox::take() {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) return std::nullopt;
  Event e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

bool Mailbox::ending_queued() const {
  std::lock_guard lock(mutex_);
  return std::any_of(queue_.begin(), queue_.end(),
                     [](const Event& e) { return e.state == State::disconnected; });
}

void Mailbox::wait(std::optional<Clock::time_point> deadline) {
  {
    std::lock_guard lock(mutex_);
    if (!queue_.empty()) return;
  }
  int timeout_ms = -1;
  if (deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
    timeout_ms = static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, 60'000));
  }
#if defined(_WIN32)
  // Auto-reset: returning from the wait already drained it.
  ::WaitForSingleObject(wake_event(), timeout_ms < 0 ? INFINITE : static_cast<DWORD>(timeout_ms));
#else
  // A pipe's or socket's writer gets POLLERR/POLLHUP once the reader is gone, with no event
  // asked for: a dial that prints nothing for hours still notices `| head` ending.
  static const bool watch_stdout = [] {
    struct stat info {};
    return ::fstat(STDOUT_FILENO, &info) == 0 && (S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode));
  }();
  pollfd fds[2] = {{wake_fd(), POLLIN, 0}, {watch_stdout && !stdout_closed() ? STDOUT_FILENO : -1, 0, 0}};
  const int n = ::poll(fds, 2, timeout_ms);
  if (n > 0 && (fds[0].revents & POLLIN) != 0) drain_wake();
  if (n > 0 && (fds[1].revents & (POLLERR | POLLHUP)) != 0) note_stdout_closed();
#endif
}

}  // namespace dialkit::cli
