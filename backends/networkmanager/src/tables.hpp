// NetworkManager's native values as data (DESIGN.md section 4): every NMDeviceState,
// NMActiveConnectionState and NMVpnConnectionState with the shared state it maps to, every
// NMDeviceStateReason (0-67) and NMActiveConnectionStateReason (0-14) with the portable error
// it maps to, and NM's D-Bus error names. The tests and the README are made from these tables.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <dialkit/error.hpp>
#include <dialkit/state.hpp>

namespace dialkit::nm {

// One native state. `state` is empty only for UNKNOWN: NM says it cannot tell, and reporting
// anything would lie.
struct StateRow {
  std::uint32_t value;
  std::string_view name;
  std::optional<State> state;
};

// One native reason. `clean` marks reasons that describe a deliberate end (a client or NM
// itself chose it): an established link that ends with such a reason ends without an error,
// with the reason as text. A dial that never connected always ends with `error`.
struct ReasonRow {
  std::uint32_t value;
  std::string_view name;
  Errc error;
  bool clean;
  std::string_view meaning;
};

inline constexpr std::uint32_t device_need_auth = 60;
inline constexpr std::uint32_t vpn_need_auth = 2;

// nm-dbus-interface.h, NMDeviceState.
inline constexpr std::array<StateRow, 13> device_states{{
    {0, "NM_DEVICE_STATE_UNKNOWN", std::nullopt},
    {10, "NM_DEVICE_STATE_UNMANAGED", State::disconnected},
    {20, "NM_DEVICE_STATE_UNAVAILABLE", State::disconnected},
    {30, "NM_DEVICE_STATE_DISCONNECTED", State::disconnected},
    {40, "NM_DEVICE_STATE_PREPARE", State::opening_port},
    {50, "NM_DEVICE_STATE_CONFIG", State::connecting_device},
    // Pauses only when the secret agent has nothing usable to answer (see Tracker).
    {60, "NM_DEVICE_STATE_NEED_AUTH", State::retry_authentication},
    {70, "NM_DEVICE_STATE_IP_CONFIG", State::auth_project},
    {80, "NM_DEVICE_STATE_IP_CHECK", State::projected},
    {90, "NM_DEVICE_STATE_SECONDARIES", State::applying_settings},
    {100, "NM_DEVICE_STATE_ACTIVATED", State::connected},
    {110, "NM_DEVICE_STATE_DEACTIVATING", State::disconnecting},
    {120, "NM_DEVICE_STATE_FAILED", State::disconnected},
}};

// NMActiveConnectionState: fills in for connections whose device is not the dial's own.
inline constexpr std::array<StateRow, 5> active_states{{
    {0, "NM_ACTIVE_CONNECTION_STATE_UNKNOWN", std::nullopt},
    {1, "NM_ACTIVE_CONNECTION_STATE_ACTIVATING", State::opening_port},
    {2, "NM_ACTIVE_CONNECTION_STATE_ACTIVATED", State::connected},
    {3, "NM_ACTIVE_CONNECTION_STATE_DEACTIVATING", State::disconnecting},
    {4, "NM_ACTIVE_CONNECTION_STATE_DEACTIVATED", State::disconnected},
}};

// nm-vpn-dbus-interface.h, NMVpnConnectionState.
inline constexpr std::array<StateRow, 8> vpn_states{{
    {0, "NM_VPN_CONNECTION_STATE_UNKNOWN", std::nullopt},
    {1, "NM_VPN_CONNECTION_STATE_PREPARE", State::opening_port},
    {2, "NM_VPN_CONNECTION_STATE_NEED_AUTH", State::retry_authentication},
    {3, "NM_VPN_CONNECTION_STATE_CONNECT", State::connecting_device},
    {4, "NM_VPN_CONNECTION_STATE_IP_CONFIG_GET", State::auth_project},
    {5, "NM_VPN_CONNECTION_STATE_ACTIVATED", State::connected},
    {6, "NM_VPN_CONNECTION_STATE_FAILED", State::disconnected},
    {7, "NM_VPN_CONNECTION_STATE_DISCONNECTED", State::disconnected},
}};

// NMDeviceStateReason, all 68 values. Where NM folds several failures into one reason (PPP
// failures are all 12-14), the error says only what the reason says.
inline constexpr std::array<ReasonRow, 68> device_state_reasons{{
    {0, "NM_DEVICE_STATE_REASON_NONE", Errc::unknown, false, "no reason given"},
    {1, "NM_DEVICE_STATE_REASON_UNKNOWN", Errc::unknown, false, "unknown error"},
    {2, "NM_DEVICE_STATE_REASON_NOW_MANAGED", Errc::device_unavailable, false, "the device is now managed"},
    {3, "NM_DEVICE_STATE_REASON_NOW_UNMANAGED", Errc::device_unavailable, false, "the device is now unmanaged"},
    {4, "NM_DEVICE_STATE_REASON_CONFIG_FAILED", Errc::device_error, false, "the device could not be readied for configuration"},
    {5, "NM_DEVICE_STATE_REASON_IP_CONFIG_UNAVAILABLE", Errc::projection_failed, false, "IP configuration could not be reserved"},
    {6, "NM_DEVICE_STATE_REASON_IP_CONFIG_EXPIRED", Errc::link_dropped, false, "the IP configuration is no longer valid"},
    {7, "NM_DEVICE_STATE_REASON_NO_SECRETS", Errc::authentication_failed, false, "secrets were required but not provided"},
    {8, "NM_DEVICE_STATE_REASON_SUPPLICANT_DISCONNECT", Errc::authentication_failed, false, "the 802.1X supplicant disconnected"},
    {9, "NM_DEVICE_STATE_REASON_SUPPLICANT_CONFIG_FAILED", Errc::device_error, false, "802.1X supplicant configuration failed"},
    {10, "NM_DEVICE_STATE_REASON_SUPPLICANT_FAILED", Errc::authentication_failed, false, "the 802.1X supplicant failed"},
    {11, "NM_DEVICE_STATE_REASON_SUPPLICANT_TIMEOUT", Errc::timeout, false, "the 802.1X supplicant took too long to authenticate"},
    {12, "NM_DEVICE_STATE_REASON_PPP_START_FAILED", Errc::system_error, false, "the PPP service failed to start"},
    {13, "NM_DEVICE_STATE_REASON_PPP_DISCONNECT", Errc::peer_hung_up, false, "the PPP service disconnected"},
    {14, "NM_DEVICE_STATE_REASON_PPP_FAILED", Errc::connect_failed, false, "the PPP service failed"},
    {15, "NM_DEVICE_STATE_REASON_DHCP_START_FAILED", Errc::system_error, false, "the DHCP client failed to start"},
    {16, "NM_DEVICE_STATE_REASON_DHCP_ERROR", Errc::projection_failed, false, "the DHCP client reported an error"},
    {17, "NM_DEVICE_STATE_REASON_DHCP_FAILED", Errc::projection_failed, false, "the DHCP client failed"},
    {18, "NM_DEVICE_STATE_REASON_SHARED_START_FAILED", Errc::system_error, false, "the shared connection service failed to start"},
    {19, "NM_DEVICE_STATE_REASON_SHARED_FAILED", Errc::system_error, false, "the shared connection service failed"},
    {20, "NM_DEVICE_STATE_REASON_AUTOIP_START_FAILED", Errc::system_error, false, "the AutoIP service failed to start"},
    {21, "NM_DEVICE_STATE_REASON_AUTOIP_ERROR", Errc::projection_failed, false, "the AutoIP service reported an error"},
    {22, "NM_DEVICE_STATE_REASON_AUTOIP_FAILED", Errc::projection_failed, false, "the AutoIP service failed"},
    {23, "NM_DEVICE_STATE_REASON_MODEM_BUSY", Errc::line_busy, false, "the line is busy"},
    {24, "NM_DEVICE_STATE_REASON_MODEM_NO_DIAL_TONE", Errc::no_dialtone, false, "no dial tone"},
    {25, "NM_DEVICE_STATE_REASON_MODEM_NO_CARRIER", Errc::no_carrier, false, "no carrier could be established"},
    {26, "NM_DEVICE_STATE_REASON_MODEM_DIAL_TIMEOUT", Errc::no_answer, false, "the dialing request timed out"},
    {27, "NM_DEVICE_STATE_REASON_MODEM_DIAL_FAILED", Errc::connect_failed, false, "the dialing attempt failed"},
    {28, "NM_DEVICE_STATE_REASON_MODEM_INIT_FAILED", Errc::device_error, false, "modem initialization failed"},
    {29, "NM_DEVICE_STATE_REASON_GSM_APN_FAILED", Errc::connect_failed, false, "failed to select the APN"},
    {30, "NM_DEVICE_STATE_REASON_GSM_REGISTRATION_NOT_SEARCHING", Errc::connect_failed, false, "not searching for networks"},
    {31, "NM_DEVICE_STATE_REASON_GSM_REGISTRATION_DENIED", Errc::no_dialin_permission, false, "network registration denied"},
    {32, "NM_DEVICE_STATE_REASON_GSM_REGISTRATION_TIMEOUT", Errc::timeout, false, "network registration timed out"},
    {33, "NM_DEVICE_STATE_REASON_GSM_REGISTRATION_FAILED", Errc::connect_failed, false, "failed to register with the requested network"},
    {34, "NM_DEVICE_STATE_REASON_GSM_PIN_CHECK_FAILED", Errc::authentication_failed, false, "PIN check failed"},
    {35, "NM_DEVICE_STATE_REASON_FIRMWARE_MISSING", Errc::device_unavailable, false, "necessary firmware for the device may be missing"},
    {36, "NM_DEVICE_STATE_REASON_REMOVED", Errc::device_unavailable, false, "the device was removed"},
    {37, "NM_DEVICE_STATE_REASON_SLEEPING", Errc::cancelled, true, "NetworkManager went to sleep"},
    {38, "NM_DEVICE_STATE_REASON_CONNECTION_REMOVED", Errc::cancelled, false, "the device's active connection profile disappeared"},
    {39, "NM_DEVICE_STATE_REASON_USER_REQUESTED", Errc::cancelled, true, "disconnected by a user or client"},
    {40, "NM_DEVICE_STATE_REASON_CARRIER", Errc::no_carrier, false, "the carrier or link changed"},
    {41, "NM_DEVICE_STATE_REASON_CONNECTION_ASSUMED", Errc::cancelled, true, "an existing connection was assumed"},
    {42, "NM_DEVICE_STATE_REASON_SUPPLICANT_AVAILABLE", Errc::device_unavailable, false, "the supplicant is now available"},
    {43, "NM_DEVICE_STATE_REASON_MODEM_NOT_FOUND", Errc::device_unavailable, false, "the modem could not be found"},
    {44, "NM_DEVICE_STATE_REASON_BT_FAILED", Errc::connect_failed, false, "the Bluetooth connection failed or timed out"},
    {45, "NM_DEVICE_STATE_REASON_GSM_SIM_NOT_INSERTED", Errc::device_unavailable, false, "the SIM card is not inserted"},
    {46, "NM_DEVICE_STATE_REASON_GSM_SIM_PIN_REQUIRED", Errc::user_input_required, false, "the SIM PIN is required"},
    {47, "NM_DEVICE_STATE_REASON_GSM_SIM_PUK_REQUIRED", Errc::account_disabled, false, "the SIM PUK is required (the SIM is blocked)"},
    {48, "NM_DEVICE_STATE_REASON_GSM_SIM_WRONG", Errc::device_error, false, "wrong SIM card"},
    {49, "NM_DEVICE_STATE_REASON_INFINIBAND_MODE", Errc::device_error, false, "the InfiniBand device does not support connected mode"},
    {50, "NM_DEVICE_STATE_REASON_DEPENDENCY_FAILED", Errc::connect_failed, false, "a dependency of the connection failed"},
    {51, "NM_DEVICE_STATE_REASON_BR2684_FAILED", Errc::device_error, false, "RFC 2684 Ethernet-over-ADSL bridge problem"},
    {52, "NM_DEVICE_STATE_REASON_MODEM_MANAGER_UNAVAILABLE", Errc::device_unavailable, false, "ModemManager is not running"},
    {53, "NM_DEVICE_STATE_REASON_SSID_NOT_FOUND", Errc::connect_failed, false, "the Wi-Fi network could not be found"},
    {54, "NM_DEVICE_STATE_REASON_SECONDARY_CONNECTION_FAILED", Errc::connect_failed, false, "a secondary connection of the base connection failed"},
    {55, "NM_DEVICE_STATE_REASON_DCB_FCOE_FAILED", Errc::device_error, false, "DCB or FCoE setup failed"},
    {56, "NM_DEVICE_STATE_REASON_TEAMD_CONTROL_FAILED", Errc::device_error, false, "teamd control failed"},
    {57, "NM_DEVICE_STATE_REASON_MODEM_FAILED", Errc::device_error, false, "the modem failed or is no longer available"},
    {58, "NM_DEVICE_STATE_REASON_MODEM_AVAILABLE", Errc::device_unavailable, false, "the modem is now ready"},
    {59, "NM_DEVICE_STATE_REASON_SIM_PIN_INCORRECT", Errc::authentication_failed, false, "the SIM PIN is incorrect"},
    {60, "NM_DEVICE_STATE_REASON_NEW_ACTIVATION", Errc::cancelled, true, "a new connection activation was queued"},
    {61, "NM_DEVICE_STATE_REASON_PARENT_CHANGED", Errc::device_unavailable, false, "the device's parent changed"},
    {62, "NM_DEVICE_STATE_REASON_PARENT_MANAGED_CHANGED", Errc::device_unavailable, false, "the management status of the device's parent changed"},
    {63, "NM_DEVICE_STATE_REASON_OVSDB_FAILED", Errc::system_error, false, "problem communicating with the Open vSwitch database"},
    {64, "NM_DEVICE_STATE_REASON_IP_ADDRESS_DUPLICATE", Errc::projection_failed, false, "a duplicate IP address was detected"},
    {65, "NM_DEVICE_STATE_REASON_IP_METHOD_UNSUPPORTED", Errc::projection_failed, false, "the selected IP method is not supported"},
    {66, "NM_DEVICE_STATE_REASON_SRIOV_CONFIGURATION_FAILED", Errc::device_error, false, "SR-IOV configuration failed"},
    {67, "NM_DEVICE_STATE_REASON_PEER_NOT_FOUND", Errc::connect_failed, false, "the Wi-Fi P2P peer could not be found"},
}};

// NMActiveConnectionStateReason, all 15 values; VpnStateChanged carries the same values
// (NMVpnConnectionStateReason 0-11 is identical and deprecated in its favour).
inline constexpr std::array<ReasonRow, 15> active_state_reasons{{
    {0, "NM_ACTIVE_CONNECTION_STATE_REASON_UNKNOWN", Errc::unknown, false, "unknown reason"},
    {1, "NM_ACTIVE_CONNECTION_STATE_REASON_NONE", Errc::unknown, true, "no reason given"},
    {2, "NM_ACTIVE_CONNECTION_STATE_REASON_USER_DISCONNECTED", Errc::cancelled, true, "disconnected by a user or client"},
    {3, "NM_ACTIVE_CONNECTION_STATE_REASON_DEVICE_DISCONNECTED", Errc::link_dropped, false, "the underlying device disconnected"},
    {4, "NM_ACTIVE_CONNECTION_STATE_REASON_SERVICE_STOPPED", Errc::link_dropped, false, "the VPN service stopped"},
    {5, "NM_ACTIVE_CONNECTION_STATE_REASON_IP_CONFIG_INVALID", Errc::projection_failed, false, "the IP configuration is invalid"},
    {6, "NM_ACTIVE_CONNECTION_STATE_REASON_CONNECT_TIMEOUT", Errc::timeout, false, "the connection attempt timed out"},
    {7, "NM_ACTIVE_CONNECTION_STATE_REASON_SERVICE_START_TIMEOUT", Errc::timeout, false, "the VPN service did not start in time"},
    {8, "NM_ACTIVE_CONNECTION_STATE_REASON_SERVICE_START_FAILED", Errc::system_error, false, "the VPN service failed to start"},
    {9, "NM_ACTIVE_CONNECTION_STATE_REASON_NO_SECRETS", Errc::authentication_failed, false, "necessary secrets were not provided"},
    {10, "NM_ACTIVE_CONNECTION_STATE_REASON_LOGIN_FAILED", Errc::authentication_failed, false, "authentication to the server failed"},
    {11, "NM_ACTIVE_CONNECTION_STATE_REASON_CONNECTION_REMOVED", Errc::cancelled, false, "the connection profile was deleted"},
    {12, "NM_ACTIVE_CONNECTION_STATE_REASON_DEPENDENCY_FAILED", Errc::connect_failed, false, "the controller connection failed"},
    {13, "NM_ACTIVE_CONNECTION_STATE_REASON_DEVICE_REALIZE_FAILED", Errc::device_error, false, "the software device could not be created"},
    {14, "NM_ACTIVE_CONNECTION_STATE_REASON_DEVICE_REMOVED", Errc::device_unavailable, false, "the device disappeared"},
}};

// NM's D-Bus error names (NMManagerError, NMSettingsError, NMAgentManagerError, and the bus's
// own) onto portable errors. Anything not listed becomes Errc::system_error with its name.
struct DbusErrorRow {
  std::string_view name;
  Errc error;
};
inline constexpr std::array<DbusErrorRow, 27> dbus_errors{{
    {"org.freedesktop.NetworkManager.Failed", Errc::system_error},
    {"org.freedesktop.NetworkManager.PermissionDenied", Errc::permission_denied},
    {"org.freedesktop.NetworkManager.UnknownConnection", Errc::unknown_entry},
    {"org.freedesktop.NetworkManager.UnknownDevice", Errc::device_unavailable},
    {"org.freedesktop.NetworkManager.ConnectionNotAvailable", Errc::device_unavailable},
    {"org.freedesktop.NetworkManager.ConnectionNotActive", Errc::invalid_state},
    {"org.freedesktop.NetworkManager.ConnectionAlreadyActive", Errc::device_busy},
    {"org.freedesktop.NetworkManager.DependencyFailed", Errc::connect_failed},
    {"org.freedesktop.NetworkManager.AlreadyAsleepOrAwake", Errc::invalid_state},
    {"org.freedesktop.NetworkManager.AlreadyEnabledOrDisabled", Errc::invalid_state},
    {"org.freedesktop.NetworkManager.InvalidArguments", Errc::invalid_argument},
    {"org.freedesktop.NetworkManager.MissingPlugins", Errc::not_supported},
    {"org.freedesktop.NetworkManager.Settings.PermissionDenied", Errc::permission_denied},
    {"org.freedesktop.NetworkManager.Settings.InvalidConnection", Errc::invalid_argument},
    {"org.freedesktop.NetworkManager.Settings.InvalidSetting", Errc::invalid_argument},
    {"org.freedesktop.NetworkManager.Settings.NotSupported", Errc::not_supported},
    {"org.freedesktop.NetworkManager.AgentManager.PermissionDenied", Errc::permission_denied},
    {"org.freedesktop.NetworkManager.AgentManager.NotRegistered", Errc::invalid_state},
    {"org.freedesktop.DBus.Error.AccessDenied", Errc::permission_denied},
    {"org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", Errc::permission_denied},
    {"org.freedesktop.DBus.Error.ServiceUnknown", Errc::backend_unavailable},
    {"org.freedesktop.DBus.Error.NameHasNoOwner", Errc::backend_unavailable},
    {"org.freedesktop.DBus.Error.Disconnected", Errc::backend_unavailable},
    {"org.freedesktop.DBus.Error.NoServer", Errc::backend_unavailable},
    {"org.freedesktop.DBus.Error.NoReply", Errc::timeout},
    {"org.freedesktop.DBus.Error.Timeout", Errc::timeout},
    {"org.freedesktop.DBus.Error.UnknownObject", Errc::protocol_error},
}};

template <std::size_t N>
[[nodiscard]] constexpr const StateRow* find_state(const std::array<StateRow, N>& table,
                                                   std::uint32_t value) noexcept {
  for (const auto& row : table)
    if (row.value == value) return &row;
  return nullptr;
}

template <std::size_t N>
[[nodiscard]] constexpr const ReasonRow* find_reason(const std::array<ReasonRow, N>& table,
                                                     std::uint32_t value) noexcept {
  for (const auto& row : table)
    if (row.value == value) return &row;
  return nullptr;
}

// The portable error for a reason, keeping NM's code and name; an unknown value (a newer NM)
// becomes Errc::unknown with its number, never a crash.
template <std::size_t N>
[[nodiscard]] Error reason_error(const std::array<ReasonRow, N>& table, std::uint32_t value,
                                 std::string_view prefix) {
  Error e;
  e.native_code = value;
  if (const auto* row = find_reason(table, value)) {
    e.code = row->error;
    e.native_text = std::string(row->name);
    e.detail = std::string(row->meaning);
  } else {
    e.code = Errc::unknown;
    e.native_text = std::string(prefix) + std::to_string(value);
    e.detail = "a reason this backend does not know";
  }
  return e;
}

[[nodiscard]] inline Error device_reason_error(std::uint32_t reason) {
  return reason_error(device_state_reasons, reason, "NM_DEVICE_STATE_REASON_");
}
[[nodiscard]] inline Error active_reason_error(std::uint32_t reason) {
  return reason_error(active_state_reasons, reason, "NM_ACTIVE_CONNECTION_STATE_REASON_");
}

[[nodiscard]] constexpr Errc dbus_error_code(std::string_view name) noexcept {
  for (const auto& row : dbus_errors)
    if (row.name == name) return row.error;
  return Errc::system_error;
}

// A D-Bus error as a portable one: the error name is the native text, NM's message the detail.
[[nodiscard]] inline Error dbus_error(std::string_view name, std::string_view message,
                                      std::string_view context = {}) {
  Error e;
  e.code = dbus_error_code(name);
  e.native_text = std::string(name);
  e.detail = context.empty() ? std::string(message) : std::string(context) + ": " + std::string(message);
  return e;
}

}  // namespace dialkit::nm
