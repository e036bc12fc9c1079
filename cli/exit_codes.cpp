// The exit code table; see exit_codes.hpp.
#include "exit_codes.hpp"

#include <array>
#include <iomanip>
#include <sstream>

namespace dialkit::cli {

namespace {
constexpr std::array<ExitCodeInfo, 13> table{{
    {ExitCode::ok, "success (a dial that connected and then ended cleanly or was hung up)"},
    {ExitCode::internal, "internal error in the CLI"},
    {ExitCode::usage, "bad arguments, unknown entry or connection, malformed input"},
    {ExitCode::authentication, "authentication: credentials rejected, password expired, ..."},
    {ExitCode::line, "line: busy, no answer, no carrier, no dial tone"},
    {ExitCode::device, "device: the local device or port is missing or in use"},
    {ExitCode::link, "link: negotiation failed, or the link dropped after it came up"},
    {ExitCode::timeout, "timeout: the dial (--timeout) or an operation ran out of time"},
    {ExitCode::cancelled, "cancelled: stopped before it connected (Ctrl-C, SIGTERM, closed stdout)"},
    {ExitCode::backend, "backend: unknown or unusable backend, plugin refused, not supported"},
    {ExitCode::permission, "permission: the system said no"},
    {ExitCode::system, "system: any other platform failure"},
    {ExitCode::input_unavailable,
     "the dial paused for input (password, callback number, ...) and none was available"},
}};
}  // namespace

std::span<const ExitCodeInfo> exit_code_table() noexcept { return table; }

ExitCode exit_code_for(ErrorClass error_class) noexcept {
  switch (error_class) {
    case ErrorClass::authentication: return ExitCode::authentication;
    case ErrorClass::line: return ExitCode::line;
    case ErrorClass::device: return ExitCode::device;
    case ErrorClass::link: return ExitCode::link;
    case ErrorClass::timeout: return ExitCode::timeout;
    case ErrorClass::cancelled: return ExitCode::cancelled;
    case ErrorClass::usage: return ExitCode::usage;
    case ErrorClass::backend: return ExitCode::backend;
    case ErrorClass::permission: return ExitCode::permission;
    case ErrorClass::system: return ExitCode::system;
  }
  return ExitCode::system;
}

std::string exit_code_help() {
  std::ostringstream text;
  text << "Exit codes:\n";
  for (const auto& row : table) text << "  " << std::setw(2) << to_int(row.code) << "  " << row.meaning << '\n';
  return text.str();
}

}  // namespace dialkit::cli
