// Input for paused dials; see input.hpp.
#include "input.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#if defined(_WIN32)
#include <windows.h>
// MinGW's unistd.h has isatty/read/write and the STD*_FILENO numbers.
#include <unistd.h>
#else
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>
#endif
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "mailbox.hpp"

namespace dialkit::cli {

namespace {

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
#if defined(_WIN32)
    const auto n = ::write(fd, text.data(), static_cast<unsigned>(text.size()));  // MinGW: unsigned count
#else
    const auto n = ::write(fd, text.data(), text.size());
#endif
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

#if defined(_WIN32)
// Turns console echo off for its lifetime (Windows: the console mode, not termios), and
// restores the previous mode on every way out.
class EchoOff {
 public:
  explicit EchoOff(int /*fd*/) : console_(::GetStdHandle(STD_INPUT_HANDLE)) {
    if (::GetConsoleMode(console_, &saved_) == 0) return;
    active_ = ::SetConsoleMode(console_, saved_ & ~static_cast<DWORD>(ENABLE_ECHO_INPUT)) != 0;
  }
  ~EchoOff() {
    if (active_) ::SetConsoleMode(console_, saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  HANDLE console_;
  DWORD saved_ = 0;
  bool active_ = false;
};

// Waits until stdin may have input (true) or the wake event was set (false). Windows cannot
// wait on an anonymous pipe, so a pipe is peeked at between short waits on the wake event.
bool wait_for_stdin() {
  const HANDLE in = ::GetStdHandle(STD_INPUT_HANDLE);
  const HANDLE wake = static_cast<HANDLE>(wake_handle());
  switch (::GetFileType(in)) {
    case FILE_TYPE_CHAR: {
      const HANDLE both[2] = {in, wake};
      return ::WaitForMultipleObjects(2, both, FALSE, INFINITE) != WAIT_OBJECT_0 + 1;
    }
    case FILE_TYPE_PIPE:
      for (;;) {
        DWORD available = 0;
        // A failed peek is a closed pipe: read() then sees the end.
        if (::PeekNamedPipe(in, nullptr, 0, nullptr, &available, nullptr) == 0 || available > 0) return true;
        if (::WaitForSingleObject(wake, 50) == WAIT_OBJECT_0) return false;
      }
    default:
      return true;  // a file is always readable
  }
}

#else
// Turns terminal echo off for its lifetime (the newline still echoes, so the next output
// starts on its own line), and restores the previous settings on every way out.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

#endif

}  // namespace

namespace {

// The process's controlling terminal, or -1 when it has none (a service, cron, a CI job).
int open_terminal() {
#if defined(_WIN32)
  // Windows: the console is stdin's; prompts keep going to stderr there.
  return ::isatty(STDIN_FILENO) != 0 ? STDIN_FILENO : -1;
#else
  return ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
#endif
}

void close_terminal(int fd) {
#if !defined(_WIN32)
  if (fd >= 0) ::close(fd);
#else
  (void)fd;
#endif
}

// Where prompts go: the terminal itself (Windows: stderr, next to the console).
int prompt_fd(int tty) {
#if defined(_WIN32)
  (void)tty;
  return STDERR_FILENO;
#else
  return tty;
#endif
}

}  // namespace

InputSource InputSource::from_stdin(bool password_stdin) {
  if (password_stdin) {
    // A terminal for the prompt only when the password is typed at it.
    return InputSource(Mode::lines, ::isatty(STDIN_FILENO) != 0 ? open_terminal() : -1);
  }
  if (const int tty = open_terminal(); tty >= 0) return InputSource(Mode::terminal, tty);
  return InputSource(Mode::none, -1);
}

InputSource::InputSource(InputSource&& other) noexcept
    : mode_(other.mode_), tty_(std::exchange(other.tty_, -1)), eof_(other.eof_),
      buffer_(std::move(other.buffer_)) {
  secure_wipe(other.buffer_);
}

InputSource::~InputSource() {
  secure_wipe(buffer_);
  close_terminal(tty_);
}

Answer InputSource::ask(std::string_view prompt, bool hidden,
                        const std::function<bool()>& give_up) {
  switch (mode_) {
    case Mode::none:
      return {Answer::Kind::unavailable, {},
              "there is no terminal to ask on (/dev/tty) and --password-stdin was not given"};
    case Mode::lines: {
      if (hidden && ::isatty(STDIN_FILENO) != 0) {
        // --password-stdin typed at a terminal: still no echo, and say what is read.
        EchoOff quiet(STDIN_FILENO);
        if (tty_ >= 0) write_all(prompt_fd(tty_), prompt);
        Answer a = read_line(STDIN_FILENO, give_up);
        if (a.kind == Answer::Kind::unavailable) a.why = "end of input";
        return a;
      }
      Answer a = read_line(STDIN_FILENO, give_up);
      if (a.kind == Answer::Kind::unavailable) a.why = "--password-stdin has no lines left";
      return a;
    }
    case Mode::terminal: {
      Answer a;
      if (!hidden) {
        write_all(prompt_fd(tty_), prompt);
        a = read_line(tty_, give_up);
      } else {
        // Echo goes off before the prompt shows, so nothing typed after it can echo.
        EchoOff quiet(tty_);
        write_all(prompt_fd(tty_), prompt);
        a = read_line(tty_, give_up);
      }
      // An abandoned prompt leaves the cursor after it; the next output starts a new line.
      if (a.kind != Answer::Kind::ok) write_all(prompt_fd(tty_), "\n");
      if (a.kind == Answer::Kind::unavailable) a.why = "the terminal closed";
      return a;
    }
  }
  return {};
}

Answer InputSource::read_line(int fd, const std::function<bool()>& give_up) {
  for (;;) {
    if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      // Wipe the consumed bytes before the buffer shifts them out of reach.
      secure_wipe(buffer_.data(), nl + 1);
      buffer_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      Answer a{Answer::Kind::ok, Secret(line), {}};
      secure_wipe(line);
      return a;
    }
    if (eof_) {
      if (buffer_.empty()) return {Answer::Kind::unavailable, {}, "end of input"};
      // A last line without a newline still counts.
      Answer a{Answer::Kind::ok, Secret(buffer_), {}};
      secure_wipe(buffer_);
      buffer_.clear();
      return a;
    }
    if (give_up && give_up()) return {Answer::Kind::interrupted, {}, {}};
#if defined(_WIN32)
    // The wake event only says "look again"; the loop's give_up() check does the looking.
    if (!wait_for_stdin()) continue;
#else
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd(), POLLIN, 0}};
    const int n = ::poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      eof_ = true;
      continue;
    }
    // The wake pipe only says "look again"; the loop's give_up() check does the looking.
    if ((fds[1].revents & POLLIN) != 0) drain_wake();
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
#endif
    char chunk[256];
    const auto got = ::read(fd, chunk, sizeof chunk);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      eof_ = true;
    } else if (got == 0) {
      eof_ = true;
    } else {
      buffer_.append(chunk, static_cast<std::size_t>(got));
    }
    secure_wipe(chunk, sizeof chunk);
  }
}

void keep_secrets_out_of_core_dumps() noexcept {
#if !defined(_WIN32)
  const rlimit none{0, 0};
  (void)::setrlimit(RLIMIT_CORE, &none);
#endif
#if defined(__linux__)
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

}  // namespace dialkit::cli
