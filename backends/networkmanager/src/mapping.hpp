// NetworkManager's native values as kit rows (DESIGN.md section 4): every NMDeviceState,
// NMActiveConnectionState and NMVpnConnectionState with the shared state it maps to, every
// NMDeviceStateReason (0-67) and NMActiveConnectionStateReason (0-14) with the portable error
// it maps to, and NM's D-Bus error names. The tests and the README are made from these tables
// (mapping_docs()).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <dialkit/error.hpp>
#include <dialkit/mapping.hpp>
#include <dialkit/state.hpp>

namespace dialkit::nm {

using plugin::NativeEnd;
using StateMapping = plugin::NativeMapping<std::uint32_t>;
using ReasonMapping = plugin::NativeErrorMapping<std::uint32_t>;

inline constexpr std::uint32_t device_need_auth = 60;
inline constexpr std::uint32_t vpn_need_auth = 2;

// nm-dbus-interface.h, NMDeviceState. UNKNOWN has no state: NM says it cannot tell, and
// reporting anything would lie.
inline constexpr std::array<StateMapping, 13> device_states{{
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
inline constexpr std::array<StateMapping, 5> active_states{{
    {0, "NM_ACTIVE_CONNECTION_STATE_UNKNOWN", std::nullopt},
    {1, "NM_ACTIVE_CONNECTION_STATE_ACTIVATING", State::opening_port},
    {2, "NM_ACTIVE_CONNECTION_STATE_ACTIVATED", State::connected},
    {3, "NM_ACTIVE_CONNECTION_STATE_DEACTIVATING", State::disconnecting},
    {4, "NM_ACTIVE_CONNECTION_STATE_DEACTIVATED", State::disconnected},
}};

// nm-vpn-dbus-interface.h, NMVpnConnectionState.
inline constexpr std::array<StateMapping, 8> vpn_states{{
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
// failures are all 12-14), the error says only what the reason says. clean_if_connected marks
// reasons that describe a deliberate end (a client or NM itself chose it): an established link
// that ends with such a reason ends without an error, with the reason as text. A dial that
// never connected always ends with the error.
inline constexpr std::array<ReasonMapping, 68> device_state_reasons{{
    {0, "NM_DEVICE_STATE_REASON_NONE", Errc::unknown, "no reason given"},
    {1, "NM_DEVICE_STATE_REASON_UNKNOWN", Errc::unknown, "unknown error"},
    {2, "NM_DEVICE_STATE_REASON_NOW_MANAGED", Errc::device_unavailable, "the device is now managed"},
    {3, "NM_DEVICE_STATE_REASON_NOW_UNMANAGED", Errc::device_unavailable, "the device is now unmanaged"},
    {4, "NM_DEVICE_STATE_REASON_CONFIG_FAILED", Errc::device_error, "the device could not be readied for configuration"},
    {5, "NM_DEVICE_STATE_REASON_IP_CONFIG_UNAVAILABLE", Errc::projection_failed, "IP configuration could not be reserved"},
    {6, "NM_DEVICE_STATE_REASON_IP_CONFIG_EXPIRED", Errc::link_dropped, "the IP configuration is no longer valid"},
    {7, "NM_DEVICE_STATE_REASON_NO_SECRETS", Errc::authentication_failed, "secrets were required but not provided"},
    {8, "NM_DEVICE_STATE_REASON_SUPPLICANT_DISCONNECT", Errc::authentication_failed, "the 802.1X supplicant disconnected"},
    {9, "NM_DEVICE_STATE_REASON_SUPPLICANT_CONFIG_FAILED", Errc::device_error, "802.1X supplicant configuration failed"},
    {10, "NM_DEVICE_STATE_REASON_SUPPLICANT_FAILED", Errc::authentication_failed, "the 802.1X supplicant failed"},
    {11, "NM_DEVICE_STATE_REASON_SUPPLICANT_TIMEOUT", Errc::timeout, "the 802.1X supplicant took too long to authenticate"},
    {12, "NM_DEVICE_STATE_REASON_PPP_START_FAILED", Errc::system_error, "the PPP service failed to start"},
    {13, "NM_DEVICE_STATE_REASON_PPP_DISCONNECT", Errc::peer_hung_up, "the PPP service disconnected"},
    {14, "NM_DEVICE_STATE_REASON_PPP_FAILED", Errc::connect_failed, "the PPP service failed"},
    {15, "NM_DEVICE_STATE_REASON_DHCP_START_FAILED", Errc::system_error, "the DHCP client failed to start"},
    {16, "NM_DEVICE_STATE_REASON_DHCP_ERROR", Errc::projection_failed, "the DHCP client reported an error"},
    {17, "NM_DEVICE_STATE_REASON_DHCP_FAILED", Errc::projection_failed, "the DHCP client failed"},
    {18, "NM_DEVICE_STATE_REASON_SHARED_START_FAILED", Errc::system_error, "the shared connection service failed to start"},
    {19, "NM_DEVICE_STATE_REASON_SHARED_FAILED", Errc::system_error, "the shared connection service failed"},
    {20, "NM_DEVICE_STATE_REASON_AUTOIP_START_FAILED", Errc::system_error, "the AutoIP service failed to start"},
    {21, "NM_DEVICE_STATE_REASON_AUTOIP_ERROR", Errc::projection_failed, "the AutoIP service reported an error"},
    {22, "NM_DEVICE_STATE_REASON_AUTOIP_FAILED", Errc::projection_failed, "the AutoIP service failed"},
    {23, "NM_DEVICE_STATE_REASON_MODEM_BUSY", Errc::line_busy, "the line is busy"},
    {24, "NM_DEVICE_STATE_REASON_MODEM_NO_DIAL_TONE", Errc::no_dialtone, "no dial tone"},
    {25, "NM_DEVICE_STATE_REASON_MODEM_NO_CARRIER", Errc::no_carrier, "no carrier could be established"},
    {26, "NM_DEVICE_STATE_REASON_MODEM_DIAL_TIMEOUT", Errc::no_answer, "the dialing request timed out"},
    {27, "NM_DEVICE_STATE_REASON_MODEM_DIAL_FAILED", Errc::connect_failed, "the dialing attempt failed"},
    {28, "NM_DEVICE_STATE_REASON_MODEM_INIT_FAILED", Errc::device_error, "modem initialization failed"},
    {29, "NM_DEVICE_STATE_REASON_GSM_APN_FAILED", Errc::connect_failed, "failed to select the APN"},
    {30, "NM_DEVICE_STATE_REASON_GSM_REGISTRATION_NOT_SEARCHING", Errc::connect_failed, "not searching for networks"},
    {31, "NM_DEVICE_STATE_REASON_GSM_REGISTRATION_DENIED", Errc::no_dialin_permission, "network registration denied"},
    {32, "NM_DEVICE_STATE_REASON_GSM_REGISTRATION_TIMEOUT", Errc::timeout, "network registration timed out"},
    {33, "NM_DEVICE_STATE_REASON_GSM_REGISTRATION_FAILED", Errc::connect_failed, "failed to register with the requested network"},
    {34, "NM_DEVICE_STATE_REASON_GSM_PIN_CHECK_FAILED", Errc::authentication_failed, "PIN check failed"},
    {35, "NM_DEVICE_STATE_REASON_FIRMWARE_MISSING", Errc::device_unavailable, "necessary firmware for the device may be missing"},
    {36, "NM_DEVICE_STATE_REASON_REMOVED", Errc::device_unavailable, "the device was removed"},
    {37, "NM_DEVICE_STATE_REASON_SLEEPING", Errc::cancelled, "NetworkManager went to sleep", NativeEnd::clean_if_connected},
    {38, "NM_DEVICE_STATE_REASON_CONNECTION_REMOVED", Errc::cancelled, "the device's active connection profile disappeared"},
    {39, "NM_DEVICE_STATE_REASON_USER_REQUESTED", Errc::cancelled, "disconnected by a user or client", NativeEnd::clean_if_connected},
    {40, "NM_DEVICE_STATE_REASON_CARRIER", Errc::no_carrier, "the carrier or link changed"},
    {41, "NM_DEVICE_STATE_REASON_CONNECTION_ASSUMED", Errc::cancelled, "an existing connection was assumed", NativeEnd::clean_if_connected},
    {42, "NM_DEVICE_STATE_REASON_SUPPLICANT_AVAILABLE", Errc::device_unavailable, "the supplicant is now available"},
    {43, "NM_DEVICE_STATE_REASON_MODEM_NOT_FOUND", Errc::device_unavailable, "the modem could not be found"},
    {44, "NM_DEVICE_STATE_REASON_BT_FAILED", Errc::connect_failed, "the Bluetooth connection failed or timed out"},
    {45, "NM_DEVICE_STATE_REASON_GSM_SIM_NOT_INSERTED", Errc::device_unavailable, "the SIM card is not inserted"},
    {46, "NM_DEVICE_STATE_REASON_GSM_SIM_PIN_REQUIRED", Errc::user_input_required, "the SIM PIN is required"},
    {47, "NM_DEVICE_STATE_REASON_GSM_SIM_PUK_REQUIRED", Errc::account_disabled, "the SIM PUK is required (the SIM is blocked)"},
    {48, "NM_DEVICE_STATE_REASON_GSM_SIM_WRONG", Errc::device_error, "wrong SIM card"},
    {49, "NM_DEVICE_STATE_REASON_INFINIBAND_MODE", Errc::device_error, "the InfiniBand device does not support connected mode"},
    {50, "NM_DEVICE_STATE_REASON_DEPENDENCY_FAILED", Errc::connect_failed, "a dependency of the connection failed"},
    {51, "NM_DEVICE_STATE_REASON_BR2684_FAILED", Errc::device_error, "RFC 2684 Ethernet-over-ADSL bridge problem"},
    {52, "NM_DEVICE_STATE_REASON_MODEM_MANAGER_UNAVAILABLE", Errc::device_unavailable, "ModemManager is not running"},
    {53, "NM_DEVICE_STATE_REASON_SSID_NOT_FOUND", Errc::connect_failed, "the Wi-Fi network could not be found"},
    {54, "NM_DEVICE_STATE_REASON_SECONDARY_CONNECTION_FAILED", Errc::connect_failed, "a secondary connection of the base connection failed"},
    {55, "NM_DEVICE_STATE_REASON_DCB_FCOE_FAILED", Errc::device_error, "DCB or FCoE setup failed"},
    {56, "NM_DEVICE_STATE_REASON_TEAMD_CONTROL_FAILED", Errc::device_error, "teamd control failed"},
    {57, "NM_DEVICE_STATE_REASON_MODEM_FAILED", Errc::device_error, "the modem failed or is no longer available"},
    {58, "NM_DEVICE_STATE_REASON_MODEM_AVAILABLE", Errc::device_unavailable, "the modem is now ready"},
    {59, "NM_DEVICE_STATE_REASON_SIM_PIN_INCORRECT", Errc::authentication_failed, "the SIM PIN is incorrect"},
    {60, "NM_DEVICE_STATE_REASON_NEW_ACTIVATION", Errc::cancelled, "a new connection activation was queued", NativeEnd::clean_if_connected},
    {61, "NM_DEVICE_STATE_REASON_PARENT_CHANGED", Errc::device_unavailable, "the device's parent changed"},
    {62, "NM_DEVICE_STATE_REASON_PARENT_MANAGED_CHANGED", Errc::device_unavailable, "the management status of the device's parent changed"},
    {63, "NM_DEVICE_STATE_REASON_OVSDB_FAILED", Errc::system_error, "problem communicating with the Open vSwitch database"},
    {64, "NM_DEVICE_STATE_REASON_IP_ADDRESS_DUPLICATE", Errc::projection_failed, "a duplicate IP address was detected"},
    {65, "NM_DEVICE_STATE_REASON_IP_METHOD_UNSUPPORTED", Errc::projection_failed, "the selected IP method is not supported"},
    {66, "NM_DEVICE_STATE_REASON_SRIOV_CONFIGURATION_FAILED", Errc::device_error, "SR-IOV configuration failed"},
    {67, "NM_DEVICE_STATE_REASON_PEER_NOT_FOUND", Errc::connect_failed, "the Wi-Fi P2P peer could not be found"},

}};

// NMActiveConnectionStateReason, all 15 values; VpnStateChanged carries the same values
// (NMVpnConnectionStateReason 0-11 is identical and deprecated in its favour).
inline constexpr std::array<ReasonMapping, 15> active_state_reasons{{
    {0, "NM_ACTIVE_CONNECTION_STATE_REASON_UNKNOWN", Errc::unknown, "unknown reason"},
    {1, "NM_ACTIVE_CONNECTION_STATE_REASON_NONE", Errc::unknown, "no reason given", NativeEnd::clean_if_connected},
    {2, "NM_ACTIVE_CONNECTION_STATE_REASON_USER_DISCONNECTED", Errc::cancelled, "disconnected by a user or client", NativeEnd::clean_if_connected},
    {3, "NM_ACTIVE_CONNECTION_STATE_REASON_DEVICE_DISCONNECTED", Errc::link_dropped, "the underlying device disconnected"},
    {4, "NM_ACTIVE_CONNECTION_STATE_REASON_SERVICE_STOPPED", Errc::link_dropped, "the VPN service stopped"},
    {5, "NM_ACTIVE_CONNECTION_STATE_REASON_IP_CONFIG_INVALID", Errc::projection_failed, "the IP configuration is invalid"},
    {6, "NM_ACTIVE_CONNECTION_STATE_REASON_CONNECT_TIMEOUT", Errc::timeout, "the connection attempt timed out"},
    {7, "NM_ACTIVE_CONNECTION_STATE_REASON_SERVICE_START_TIMEOUT", Errc::timeout, "the VPN service did not start in time"},
    {8, "NM_ACTIVE_CONNECTION_STATE_REASON_SERVICE_START_FAILED", Errc::system_error, "the VPN service failed to start"},
    {9, "NM_ACTIVE_CONNECTION_STATE_REASON_NO_SECRETS", Errc::authentication_failed, "necessary secrets were not provided"},
    {10, "NM_ACTIVE_CONNECTION_STATE_REASON_LOGIN_FAILED", Errc::authentication_failed, "authentication to the server failed"},
    {11, "NM_ACTIVE_CONNECTION_STATE_REASON_CONNECTION_REMOVED", Errc::cancelled, "the connection profile was deleted"},
    {12, "NM_ACTIVE_CONNECTION_STATE_REASON_DEPENDENCY_FAILED", Errc::connect_failed, "the controller connection failed"},
    {13, "NM_ACTIVE_CONNECTION_STATE_REASON_DEVICE_REALIZE_FAILED", Errc::device_error, "the software device could not be created"},
    {14, "NM_ACTIVE_CONNECTION_STATE_REASON_DEVICE_REMOVED", Errc::device_unavailable, "the device disappeared"},

}};

static_assert(plugin::has_unique_natives(device_states) && plugin::has_unique_natives(active_states) &&
              plugin::has_unique_natives(vpn_states) && plugin::has_unique_natives(device_state_reasons) &&
              plugin::has_unique_natives(active_state_reasons));

// NM's D-Bus error names (NMManagerError, NMSettingsError, NMAgentManagerError, and the bus's
// own) onto portable errors. Anything not listed becomes Errc::system_error with its name.
// Kept apart from the kit rows: its natives are names, not numbers.
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

// How a connection ends on NM's reason `reason`: the error (the row's code, NM's code and name,
// the row's note as detail; a reason this backend does not know is Errc::unknown with its
// number), or none when `connected` and the reason is deliberate; `text` says why either way.
struct ReasonEnd {
  std::optional<Error> error;
  std::string text;
};
[[nodiscard]] ReasonEnd device_reason_end(std::uint32_t reason, bool connected);
[[nodiscard]] ReasonEnd active_reason_end(std::uint32_t reason, bool connected);
// The error a reason ends a dial that never connected with.
[[nodiscard]] inline Error device_reason_error(std::uint32_t reason) { return *device_reason_end(reason, false).error; }
[[nodiscard]] inline Error active_reason_error(std::uint32_t reason) { return *active_reason_end(reason, false).error; }

[[nodiscard]] constexpr Errc dbus_error_code(std::string_view name) noexcept {
  for (const auto& row : dbus_errors)
    if (row.name == name) return row.error;
  return Errc::system_error;
}

// A D-Bus error as a portable one: the error name is the native text, NM's message the detail.
[[nodiscard]] Error dbus_error(std::string_view name, std::string_view message, std::string_view context = {});

// The README blocks made from these tables (dialkit_backend_mapping_docs).
[[nodiscard]] std::array<plugin::MappingDoc, 4> mapping_docs();

}  // namespace dialkit::nm
