// How the CLI shows events to people: one line per event, with the time since `origin`, the
// state's machine name and group, its display text, the native code and name, and the error
// or the reason. (--json output is dialkit::event_to_json, unchanged.)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <dialkit/error.hpp>
#include <dialkit/event.hpp>

#include "exit_codes.hpp"

namespace dialkit::cli {

struct EventLineOptions {
  // Watch shows events of many connections; a dial shows one.
  bool show_connection = false;
};

[[nodiscard]] std::string format_event(const Event& event, Clock::time_point origin,
                                       EventLineOptions options = {});

// Columns a UTF-8 text takes on a terminal: one per character, two for East Asian wide ones
// (CJK, Hangul, fullwidth forms, emoji), none for combining marks and zero-width characters;
// a byte that is not valid UTF-8 counts one.
[[nodiscard]] std::size_t display_width(std::string_view text);

// The longest start of `text` that takes at most `columns` columns on a terminal.
[[nodiscard]] std::string fit_width(std::string_view text, std::size_t columns);

// Rows as lines, each column as wide as its widest cell on a terminal (display_width), two
// spaces between columns; the last column is not padded.
[[nodiscard]] std::string format_table(const std::vector<std::vector<std::string>>& rows);

// Messages for people go to stderr as `dialkit: TEXT`. With --json (set_json_messages), each is
// one JSON object on its own line instead, so that a program reads stderr as it reads stdout:
// `{"note": TEXT}` for information, and for errors
// `{"error": {"message": TEXT, "exit_code": N, "code": NAME, "class": NAME, "native_code": N}}`
// (code, class and native_code when the error came from dialkit).
void set_json_messages(bool on) noexcept;
[[nodiscard]] bool json_messages() noexcept;
void note(std::string_view text);
// Runs before each message goes to stderr (the live status line clears itself: live_line.hpp);
// nullptr for none.
void set_before_message(void (*hook)()) noexcept;
void error_message(std::string_view text, ExitCode exit_code, const Error* error = nullptr);

}  // namespace dialkit::cli
