// The dialkit CLI's exit codes: one per dialkit::ErrorClass, plus success, internal errors and
// "the dial needed input nobody could give". Scripts branch on these, so the numbers are
// stable; the table is printed in `dialkit --help` and in cli/README.md.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <dialkit/error.hpp>

namespace dialkit::cli {

enum class ExitCode : int {
  ok = 0,
  internal = 1,         // a bug or an unexpected exception in the CLI itself
  usage = 2,            // bad arguments, unknown entry, malformed input (ErrorClass::usage)
  authentication = 3,   // ErrorClass::authentication
  line = 4,             // ErrorClass::line
  device = 5,           // ErrorClass::device
  link = 6,             // ErrorClass::link
  timeout = 7,          // ErrorClass::timeout
  cancelled = 8,        // ErrorClass::cancelled
  backend = 9,          // ErrorClass::backend
  permission = 10,      // ErrorClass::permission
  system = 11,          // ErrorClass::system
  input_unavailable = 12,  // a paused dial needed input and none could be read
};

struct ExitCodeInfo {
  ExitCode code;
  std::string_view meaning;
};

[[nodiscard]] std::span<const ExitCodeInfo> exit_code_table() noexcept;
[[nodiscard]] ExitCode exit_code_for(ErrorClass error_class) noexcept;
[[nodiscard]] inline ExitCode exit_code_for(const Error& error) noexcept {
  return exit_code_for(error.error_class());
}
[[nodiscard]] inline int to_int(ExitCode code) noexcept { return static_cast<int>(code); }
// The table as text for the --help footer.
[[nodiscard]] std::string exit_code_help();

}  // namespace dialkit::cli
