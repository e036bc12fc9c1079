/// @file
/// The shared connection states of DESIGN.md section 1: every backend maps its native phases
/// onto these 33 states. Each state has a group, a stable machine name (used in traces, JSON
/// and the CLI), a display text for people and, where RAS has one, the RASCONNSTATE value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

/// dialkit: a portable dialer (states, events, errors, the runtime, the plugin loader).
namespace dialkit {

/// The group of a state: running, paused (input needed) or terminal.
enum class StateGroup : std::uint8_t { running, paused, terminal };

/** @var dialkit::StateGroup::running
 *  The dial is under way. */
/** @var dialkit::StateGroup::paused
 *  The dial waits for input (Connection::resume()). */
/** @var dialkit::StateGroup::terminal
 *  `connected` or `disconnected`. */

/// The 33 shared states (DESIGN.md section 1), numbered from 1 as in state_table.
enum class State : std::uint8_t {
  opening_port = 1,  ///< Opening port... (running)
  port_opened,  ///< Port opened. (running)
  connecting_device,  ///< Connecting device... (running)
  device_connected,  ///< Device connected. (running)
  all_devices_connected,  ///< All devices connected; negotiating the link... (running)
  authenticating,  ///< Verifying user name and password... (running)
  auth_notify,  ///< Authentication event. (running)
  auth_retry,  ///< Retrying authentication... (running)
  auth_callback,  ///< The server asked for a callback number. (running)
  auth_change_password,  ///< Sending the new password... (running)
  auth_project,  ///< Registering on the network... (running)
  auth_link_speed,  ///< Measuring link speed... (running)
  auth_ack,  ///< Authentication acknowledged. (running)
  reauthenticating,  ///< Authenticating again after the callback... (running)
  authenticated,  ///< Authenticated. (running)
  preparing_for_callback,  ///< Dropping the line to wait for the callback... (running)
  waiting_for_modem_reset,  ///< Waiting for the modem to reset... (running)
  waiting_for_callback,  ///< Waiting for the server to call back... (running)
  projected,  ///< Network protocols negotiated. (running)
  starting_authentication,  ///< Starting authentication... (running)
  callback_complete,  ///< Callback received. (running)
  logging_on_network,  ///< Logging on to the network... (running)
  subentry_connected,  ///< A link of the bundle connected. (running)
  subentry_disconnected,  ///< A link of the bundle disconnected. (running)
  applying_settings,  ///< Applying connection settings... (running)
  disconnecting,  ///< Disconnecting... (running)
  interactive,  ///< Waiting for a terminal session with the peer. (paused)
  retry_authentication,  ///< User name and password needed. (paused)
  callback_set_by_caller,  ///< Callback number needed. (paused)
  password_expired,  ///< The password has expired; a new one is needed. (paused)
  invoke_eap_ui,  ///< EAP input needed. (paused)
  connected,  ///< Connected. (terminal)
  disconnected,  ///< Disconnected. (terminal)
};

/// Marks a state that has no RAS counterpart (only `disconnecting`).
inline constexpr std::int32_t no_ras_value = -1;

/// One row of state_table.
struct StateInfo {
  State state;  ///<the state
  StateGroup group;  ///<its group
  std::string_view name;  ///<its stable machine name
  std::string_view display;  ///<its display text for people
  std::int32_t ras_value;  ///<its RASCONNSTATE value, or no_ras_value
  std::string_view ras_name;  ///<its RASCONNSTATE name ("RASCS_OpenPort"), empty for `disconnecting`
};

/// The table, in numbering order; state_table[n - 1] describes State(n).
inline constexpr std::array<StateInfo, 33> state_table{{
    {State::opening_port, StateGroup::running, "opening_port", "Opening port...", 0, "RASCS_OpenPort"},
    {State::port_opened, StateGroup::running, "port_opened", "Port opened.", 1, "RASCS_PortOpened"},
    {State::connecting_device, StateGroup::running, "connecting_device", "Connecting device...", 2, "RASCS_ConnectDevice"},
    {State::device_connected, StateGroup::running, "device_connected", "Device connected.", 3, "RASCS_DeviceConnected"},
    {State::all_devices_connected, StateGroup::running, "all_devices_connected",
     "All devices connected; negotiating the link...", 4, "RASCS_AllDevicesConnected"},
    {State::authenticating, StateGroup::running, "authenticating",
     "Verifying user name and password...", 5, "RASCS_Authenticate"},
    {State::auth_notify, StateGroup::running, "auth_notify", "Authentication event.", 6, "RASCS_AuthNotify"},
    {State::auth_retry, StateGroup::running, "auth_retry", "Retrying authentication...", 7, "RASCS_AuthRetry"},
    {State::auth_callback, StateGroup::running, "auth_callback",
     "The server asked for a callback number.", 8, "RASCS_AuthCallback"},
    {State::auth_change_password, StateGroup::running, "auth_change_password",
     "Sending the new password...", 9, "RASCS_AuthChangePassword"},
    {State::auth_project, StateGroup::running, "auth_project",
     "Registering on the network...", 10, "RASCS_AuthProject"},
    {State::auth_link_speed, StateGroup::running, "auth_link_speed", "Measuring link speed...", 11, "RASCS_AuthLinkSpeed"},
    {State::auth_ack, StateGroup::running, "auth_ack", "Authentication acknowledged.", 12, "RASCS_AuthAck"},
    {State::reauthenticating, StateGroup::running, "reauthenticating",
     "Authenticating again after the callback...", 13, "RASCS_ReAuthenticate"},
    {State::authenticated, StateGroup::running, "authenticated", "Authenticated.", 14, "RASCS_Authenticated"},
    {State::preparing_for_callback, StateGroup::running, "preparing_for_callback",
     "Dropping the line to wait for the callback...", 15, "RASCS_PrepareForCallback"},
    {State::waiting_for_modem_reset, StateGroup::running, "waiting_for_modem_reset",
     "Waiting for the modem to reset...", 16, "RASCS_WaitForModemReset"},
    {State::waiting_for_callback, StateGroup::running, "waiting_for_callback",
     "Waiting for the server to call back...", 17, "RASCS_WaitForCallback"},
    {State::projected, StateGroup::running, "projected", "Network protocols negotiated.", 18, "RASCS_Projected"},
    {State::starting_authentication, StateGroup::running, "starting_authentication",
     "Starting authentication...", 19, "RASCS_StartAuthentication"},
    {State::callback_complete, StateGroup::running, "callback_complete", "Callback received.", 20, "RASCS_CallbackComplete"},
    {State::logging_on_network, StateGroup::running, "logging_on_network",
     "Logging on to the network...", 21, "RASCS_LogonNetwork"},
    {State::subentry_connected, StateGroup::running, "subentry_connected",
     "A link of the bundle connected.", 22, "RASCS_SubEntryConnected"},
    {State::subentry_disconnected, StateGroup::running, "subentry_disconnected",
     "A link of the bundle disconnected.", 23, "RASCS_SubEntryDisconnected"},
    {State::applying_settings, StateGroup::running, "applying_settings",
     "Applying connection settings...", 24, "RASCS_ApplySettings"},
    {State::disconnecting, StateGroup::running, "disconnecting", "Disconnecting...", no_ras_value, ""},
    {State::interactive, StateGroup::paused, "interactive",
     "Waiting for a terminal session with the peer.", 0x1000, "RASCS_Interactive"},
    {State::retry_authentication, StateGroup::paused, "retry_authentication",
     "User name and password needed.", 0x1001, "RASCS_RetryAuthentication"},
    {State::callback_set_by_caller, StateGroup::paused, "callback_set_by_caller",
     "Callback number needed.", 0x1002, "RASCS_CallbackSetByCaller"},
    {State::password_expired, StateGroup::paused, "password_expired",
     "The password has expired; a new one is needed.", 0x1003, "RASCS_PasswordExpired"},
    {State::invoke_eap_ui, StateGroup::paused, "invoke_eap_ui", "EAP input needed.", 0x1004, "RASCS_InvokeEapUI"},
    {State::connected, StateGroup::terminal, "connected", "Connected.", 0x2000, "RASCS_Connected"},
    {State::disconnected, StateGroup::terminal, "disconnected", "Disconnected.", 0x2001, "RASCS_Disconnected"},
}};

/// How many states there are.
inline constexpr std::size_t state_count = state_table.size();

/// The row of state_table that describes a state.
[[nodiscard]] constexpr const StateInfo& state_info(State s) noexcept {
  return state_table[static_cast<std::size_t>(s) - 1];
}
/// The group of a state.
[[nodiscard]] constexpr StateGroup state_group(State s) noexcept { return state_info(s).group; }
/// The stable machine name of a state ("opening_port").
[[nodiscard]] constexpr std::string_view state_name(State s) noexcept { return state_info(s).name; }
/// The display text of a state, for people ("Opening port...").
[[nodiscard]] constexpr std::string_view display_text(State s) noexcept {
  return state_info(s).display;
}
/// True for the paused states (input needed).
[[nodiscard]] constexpr bool is_paused(State s) noexcept {
  return state_group(s) == StateGroup::paused;
}
/// True for `connected` and `disconnected`.
[[nodiscard]] constexpr bool is_terminal(State s) noexcept {
  return state_group(s) == StateGroup::terminal;
}
/// The RASCONNSTATE value of a state; none for `disconnecting`.
[[nodiscard]] constexpr std::optional<std::uint32_t> ras_value(State s) noexcept {
  const auto v = state_info(s).ras_value;
  if (v == no_ras_value) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}
/// The RASCONNSTATE name of a state ("RASCS_OpenPort"); empty for `disconnecting`. The one
/// place these names are written: the RAS backend and the mock (which speaks RAS's names in
/// its scenarios and traces) both take them from here.
[[nodiscard]] constexpr std::string_view ras_state_name(State s) noexcept { return state_info(s).ras_name; }
/// The stable name of a group ("running").
[[nodiscard]] constexpr std::string_view group_name(StateGroup g) noexcept {
  switch (g) {
    case StateGroup::running: return "running";
    case StateGroup::paused: return "paused";
    case StateGroup::terminal: return "terminal";
  }
  return "unknown";
}
/// The state with a stable machine name, if there is one.
[[nodiscard]] constexpr std::optional<State> state_from_name(std::string_view name) noexcept {
  for (const auto& info : state_table)
    if (info.name == name) return info.state;
  return std::nullopt;
}
/// The state with a RASCONNSTATE value, if there is one.
[[nodiscard]] constexpr std::optional<State> state_from_ras_value(std::uint32_t v) noexcept {
  for (const auto& info : state_table)
    if (info.ras_value >= 0 && static_cast<std::uint32_t>(info.ras_value) == v) return info.state;
  return std::nullopt;
}

}  // namespace dialkit
