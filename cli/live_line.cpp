// The live status line; see live_line.hpp.
#include "live_line.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string_view>

#if defined(_WIN32)
#include <unistd.h>
#else
#include <sys/ioctl.h>
#include <unistd.h>
#endif

#include "output.hpp"

namespace dialkit::cli {

namespace {

using namespace std::chrono_literals;

// How often the spinner turns and the times move.
constexpr auto tick = 100ms;

constexpr std::array<std::string_view, 10> braille{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
constexpr std::array<std::string_view, 4> ascii{"|", "/", "-", "\\"};

// Erase from the start of the line to its end: back to column 0, then "erase in line".
constexpr std::string_view erase_line = "\r\x1b[K";

// Whether stdout is a terminal that takes "\r" and "ESC [ K": a terminal, and TERM names one
// (an empty or missing TERM, or "dumb", as in Emacs' shell buffers, does not).
bool terminal_understands_escapes() {
#if defined(_WIN32)
  // The Windows console needs virtual-terminal processing switched on first; not done yet.
  return false;
#else
  if (::isatty(STDOUT_FILENO) == 0) return false;
  const char* term = std::getenv("TERM");
  return term != nullptr && *term != '\0' && std::string_view(term) != "dumb";
#endif
}

// Whether the locale's characters are UTF-8 (LC_ALL, else LC_CTYPE, else LANG, as setlocale
// reads them): the braille spinner and the em dash need it.
bool utf8_locale() {
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    std::string lower;
    for (const char* c = value; *c != '\0'; ++c)
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
    return lower.find("utf-8") != std::string::npos || lower.find("utf8") != std::string::npos;
  }
  return false;
}

// The terminal's width in columns (80 if it does not say).
std::size_t terminal_columns() {
#if !defined(_WIN32)
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
#endif
  return 80;
}

// The one line on screen, for the stderr hook (output.hpp), which takes no argument.
LiveLine* g_shown = nullptr;

void clear_shown() {
  if (g_shown != nullptr) g_shown->clear();
}

}  // namespace

std::string format_elapsed(std::chrono::milliseconds elapsed) {
  const auto ms = elapsed.count() < 0 ? 0 : elapsed.count();
  char text[32];
  if (ms < 60'000)
    std::snprintf(text, sizeof text, "%lld.%llds", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000 / 100));
  else if (ms < 3'600'000)
    std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms % 60'000 / 1000));
  else
    std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms % 3'600'000 / 60'000));
  return text;
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  constexpr std::array<const char*, 5> units{"kB", "MB", "GB", "TB", "PB"};
  double value = static_cast<double>(bytes) / 1000.0;
  std::size_t unit = 0;
  while (value >= 999.95 && unit + 1 < units.size()) {
    value /= 1000.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

std::string render_live_line(const LiveView& view, std::size_t columns) {
  std::string line;
  if (view.connected_for) {
    line = view.unicode ? "● Connected — Ctrl-C to hang up" : "* Connected -- Ctrl-C to hang up";
    line += "  up " + format_elapsed(*view.connected_for);
    if (view.traffic.received) line += ", " + format_bytes(*view.traffic.received) + " in";
    if (view.traffic.sent) line += ", " + format_bytes(*view.traffic.sent) + " out";
  } else {
    line = view.unicode ? std::string(braille[view.frame % braille.size()])
                        : std::string(ascii[view.frame % ascii.size()]);
    line += ' ';
    line += state_name(view.state);
    line += "  ";
    line += format_elapsed(view.elapsed);
    line += "  ";
    line += display_text(view.state);
  }
  return fit_width(line, columns);
}

LiveLine::LiveLine(bool wanted, Clock::time_point origin)
    : on_(wanted && terminal_understands_escapes()), unicode_(utf8_locale()), origin_(origin) {
  if (!on_) return;
  g_shown = this;
  set_before_message(clear_shown);
}

LiveLine::~LiveLine() {
  if (!on_) return;
  clear();
  set_before_message(nullptr);
  g_shown = nullptr;
}

void LiveLine::update(const Event& event) {
  if (!on_) return;
  state_ = event.state;
  if (event.state == State::connected && !connected_at_) connected_at_ = Clock::now();
  // After `connected` the line keeps saying so until the link goes down.
  if (event.state == State::disconnecting || event.state == State::disconnected) connected_at_.reset();
}

void LiveLine::draw() {
  if (!on_ || state_ == State::disconnected) return;
  const auto now = Clock::now();
  if (drawn_ && now - last_draw_ < tick) return;
  LiveView view;
  view.state = state_;
  view.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - origin_);
  if (connected_at_) view.connected_for = std::chrono::duration_cast<std::chrono::milliseconds>(now - *connected_at_);
  // The spinner turns with the clock, also across the erasures before event lines.
  view.frame = static_cast<unsigned>((now - origin_) / tick);
  view.unicode = unicode_;
  // view.traffic stays empty: no backend reports statistics yet (DESIGN.md section 8). Once
  // the connection can tell its bytes, they go there, and are shown only then.
  // One column is left free: a character in the last one makes some terminals wrap.
  const std::size_t columns = terminal_columns();
  std::cout << erase_line << render_live_line(view, columns > 1 ? columns - 1 : 1) << std::flush;
  drawn_ = true;
  last_draw_ = now;
}

void LiveLine::clear() {
  if (!on_ || !drawn_) return;
  std::cout << erase_line << std::flush;
  drawn_ = false;
}

std::optional<Clock::time_point> LiveLine::next_draw() const {
  if (!on_ || state_ == State::disconnected) return std::nullopt;
  return drawn_ ? last_draw_ + tick : Clock::now();
}

}  // namespace dialkit::cli
