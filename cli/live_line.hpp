// The live status line of `dialkit dial` on a terminal: a spinner, the current state and the
// time since the dial started; once connected, "Connected — Ctrl-C to hang up" with the time
// connected (and the bytes moved, when the backend reports them). It sits below the event
// lines and is redrawn in place (carriage return, erase to the end of the line), cut to the
// terminal's width so that it never wraps. It is cleared before anything else is written to
// the terminal (an event line, a message on stderr, a prompt), and it is drawn only when
// stdout is a terminal that understands it (not TERM=dumb or no TERM), never with --json or
// -q: a pipe or a file gets no escape codes at all.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <dialkit/event.hpp>

namespace dialkit::cli {

// Bytes a connection has moved, as far as the backend tells (DESIGN.md section 8). Absent
// figures are not shown: nothing is guessed.
struct Traffic {
  std::optional<std::uint64_t> sent;
  std::optional<std::uint64_t> received;
};

// What one drawing of the line shows.
struct LiveView {
  State state = State::opening_port;
  // Since the dial started, and since `connected` once it is.
  std::chrono::milliseconds elapsed{0};
  std::optional<std::chrono::milliseconds> connected_for;
  Traffic traffic;
  // Which spinner frame.
  unsigned frame = 0;
  // UTF-8 output (braille spinner, em dash); ASCII otherwise.
  bool unicode = true;
};

// The line's text, at most `columns` terminal columns wide (display_width): cut, never wrapped.
[[nodiscard]] std::string render_live_line(const LiveView& view, std::size_t columns);

// "1.2s", "1m05s", "1h02m": how long, for people.
[[nodiscard]] std::string format_elapsed(std::chrono::milliseconds elapsed);
// "980 B", "1.5 kB", "12.0 MB" (powers of 1000).
[[nodiscard]] std::string format_bytes(std::uint64_t bytes);

// The line on stdout, for one dial. When it is off (not a terminal, TERM=dumb, --json, -q)
// every member does nothing.
class LiveLine {
 public:
  LiveLine(bool wanted, Clock::time_point origin);
  ~LiveLine();
  LiveLine(const LiveLine&) = delete;
  LiveLine& operator=(const LiveLine&) = delete;

  [[nodiscard]] bool on() const noexcept { return on_; }
  // The state to show from now on (each event the dial prints).
  void update(const Event& event);
  // Draws the line again (spinner, times) if it is due or was cleared.
  void draw();
  // Erases the line, so that the next output starts at the left of an empty line. Anything
  // written to the terminal goes after this: event lines, messages, prompts.
  void clear();
  // When draw() should next run to keep the spinner and the times moving; nullopt when off.
  [[nodiscard]] std::optional<Clock::time_point> next_draw() const;

 private:
  bool on_ = false;
  bool drawn_ = false;
  bool unicode_ = true;
  Clock::time_point origin_;
  std::optional<Clock::time_point> connected_at_;
  State state_ = State::opening_port;
  Clock::time_point last_draw_{};
};

}  // namespace dialkit::cli
