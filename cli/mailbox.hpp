// Hands events from the runtime's dispatcher thread to the CLI's main thread. Slots only post
// here: everything that can block (prompting, hanging up, printing) happens on the main
// thread. SIGINT/SIGTERM wake the same wait through one self-pipe, so the main thread has a
// single place to sleep.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>

#include <dialkit/event.hpp>

namespace dialkit::cli {

// Installs SIGINT/SIGTERM handlers that record the signal and wake any Mailbox wait. A second
// signal of the same kind ends the process the default way, so a stuck hang-up can still be
// interrupted. SIGPIPE is ignored: a closed stdout is seen as a failed write (or while waiting,
// below) and ends the command cleanly instead of killing it mid-dial.
void install_stop_signals();
// The first stop signal received, or 0.
[[nodiscard]] int stop_signal() noexcept;
// True once stdout is known to be closed by its reader (`| head -2`): a write to it failed, or
// (stdout being a pipe or socket) a Mailbox wait saw the reader go.
[[nodiscard]] bool stdout_closed() noexcept;
// Records that a write to stdout failed.
void note_stdout_closed() noexcept;

#if defined(_WIN32)
// Windows: an auto-reset event instead of the pipe (a HANDLE), set by post() and Ctrl-C.
[[nodiscard]] void* wake_handle() noexcept;
#else
// The read end of the wake pipe; readable after a post() or a stop signal.
[[nodiscard]] int wake_fd() noexcept;
#endif
// Empties the wake pipe. Callers check the queue and stop_signal() afterwards, so no wake-up
// is lost.
void drain_wake() noexcept;

class Mailbox {
 public:
  // Any thread.
  void post(const Event& event);
  // Main thread.
  [[nodiscard]] std::optional<Event> take();
  // True when a `disconnected` is queued: input asked for now would come too late.
  [[nodiscard]] bool ending_queued() const;
  // Sleeps until a post(), a stop signal or `deadline`.
  void wait(std::optional<Clock::time_point> deadline);

 private:
  mutable std::mutex mutex_;
  std::deque<Event> queue_;
};

}  // namespace dialkit::cli
