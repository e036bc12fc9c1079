/// @file
/// The portable error table (DESIGN.md section 5). One X-macro list yields the codes, their
/// stable names, their class (which picks the CLI's exit code) and a message for people.
/// Every Error keeps the backend's native code and native text beside the portable code.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <dialkit/expected.hpp>

namespace dialkit {

/// Classes group errors for callers that branch coarsely (and for the CLI's exit codes).
enum class ErrorClass : std::uint8_t {
  authentication,  ///< credentials, accounts, passwords
  line,            ///< the far end: busy, no answer, no carrier, no dial tone
  device,          ///< the local device or port
  link,            ///< the link failed or dropped after it came up
  timeout,         ///< a dial or operation ran out of time
  cancelled,       ///< stopped on request
  usage,           ///< the caller asked for something impossible or malformed
  backend,         ///< a backend or plugin is missing, refused or broken
  permission,      ///< the system said no
  system,          ///< anything else the platform reports
};

/// X(name, class, message)
#define DIALKIT_ERROR_LIST(X)                                                                  \
  X(authentication_failed, authentication, "the user name or password was rejected")          \
  X(password_expired, authentication, "the password has expired")                             \
  X(account_disabled, authentication, "the account is disabled")                              \
  X(account_expired, authentication, "the account has expired")                               \
  X(restricted_logon_hours, authentication, "the account may not log on at this time")        \
  X(no_dialin_permission, authentication, "the account has no permission to dial in")         \
  X(peer_authentication_failed, authentication, "the peer failed to authenticate itself")     \
  X(callback_required, authentication, "the server asked for a callback number")              \
  X(user_input_required, authentication, "the dial needs input the caller did not handle")    \
  X(line_busy, line, "the line is busy")                                                       \
  X(no_answer, line, "the remote end did not answer")                                         \
  X(no_carrier, line, "no carrier was detected")                                              \
  X(no_dialtone, line, "no dial tone was detected")                                           \
  X(device_unavailable, device, "the device or port is not available")                        \
  X(device_busy, device, "the device or port is already in use")                              \
  X(device_error, device, "the device reported an error")                                     \
  X(connect_failed, link, "the connection attempt failed")                                    \
  X(negotiation_failed, link, "link negotiation failed")                                      \
  X(peer_hung_up, link, "the remote end hung up")                                             \
  X(link_dropped, link, "the link dropped")                                                   \
  X(idle_timeout, link, "the link was idle for too long")                                     \
  X(time_limit, link, "the connect-time limit was reached")                                   \
  X(traffic_limit, link, "the traffic limit was reached")                                     \
  X(callback_failed, link, "the callback did not arrive")                                     \
  X(loopback_detected, link, "the line is looped back")                                       \
  X(projection_failed, link, "no network protocol could be negotiated")                       \
  X(timeout, timeout, "the operation timed out")                                              \
  X(cancelled, cancelled, "the operation was cancelled")                                      \
  X(unknown_entry, usage, "no such entry")                                                    \
  X(invalid_argument, usage, "invalid argument")                                              \
  X(invalid_state, usage, "the connection is not in a state that allows this")               \
  X(malformed_input, usage, "the input is malformed")                                         \
  X(backend_unavailable, backend, "the backend is not available")                             \
  X(plugin_rejected, backend, "the plugin was refused")                                       \
  X(protocol_error, backend, "the backend received something it does not understand")        \
  X(backend_failed, backend, "the backend failed internally and cannot go on")                \
  X(not_supported, backend, "the backend does not support this")                              \
  X(permission_denied, permission, "permission denied")                                       \
  X(system_error, system, "a system call failed")                                             \
  X(unknown, system, "unknown error")

/// The portable error codes, one per DIALKIT_ERROR_LIST row.
enum class Errc : std::uint16_t {
#define DIALKIT_X(name, cls, msg) name,
  DIALKIT_ERROR_LIST(DIALKIT_X)
#undef DIALKIT_X
};

/// One row of the error table.
struct ErrcInfo {
  Errc code;  ///<the code
  std::string_view name;  ///<its stable name, e.g. "line_busy"
  ErrorClass error_class;  ///<its class
  std::string_view message;  ///<a message for people
};

/// Every row of the error table, in code order.
[[nodiscard]] std::span<const ErrcInfo> all_errors() noexcept;
/// The stable name of a code ("line_busy").
[[nodiscard]] std::string_view error_name(Errc) noexcept;
/// The message for people of a code.
[[nodiscard]] std::string_view error_message(Errc) noexcept;
/// The class of a code.
[[nodiscard]] ErrorClass error_class(Errc) noexcept;
/// The stable name of a class ("line").
[[nodiscard]] std::string_view error_class_name(ErrorClass) noexcept;
/// The code with a stable name, if there is one.
[[nodiscard]] std::optional<Errc> errc_from_name(std::string_view) noexcept;

/// One error: the portable code, the native code and text that produced it (RAS error and
/// RasGetErrorString text, pppd exit code name, NM reason name), and a detail for people
/// (which file and line, which plugin, what differed). Secrets never go into any field.
struct Error {
  Errc code = Errc::unknown;  ///<the portable code
  std::optional<std::int64_t> native_code;  ///<the native error code (RAS error, pppd exit code, NM reason), if any
  std::string native_text;  ///<the native text (RasGetErrorString, exit code name, reason name)
  std::string detail;

  [[nodiscard]] std::string_view name() const noexcept { return error_name(code); }  ///<the code's stable name
  [[nodiscard]] ErrorClass error_class() const noexcept { return dialkit::error_class(code); }  ///<the code's class
  /// "line_busy: the line is busy [native 676 ERROR_LINE_BUSY] (detail)"
  [[nodiscard]] std::string message() const;

  friend bool operator==(const Error&, const Error&) = default;  ///<equal when every field is
};

/// Shorthand for the common case: `return fail(make_error(Errc::x, "detail"));`.
[[nodiscard]] Error make_error(Errc code, std::string detail = {});

/// An Error with the native code and text a backend saw (what backends' errors carry):
/// `make_error(Errc::line_busy, 676, "ERROR_LINE_BUSY", "port 2")`.
[[nodiscard]] inline Error make_error(Errc code, std::int64_t native_code, std::string native_text,
                                      std::string detail = {}) {
  Error error = make_error(code, std::move(detail));
  error.native_code = native_code;
  error.native_text = std::move(native_text);
  return error;
}

/// What functions that can fail return: a T, or the Error.
template <class T>
using Result = expected<T, Error>;

}  // namespace dialkit
