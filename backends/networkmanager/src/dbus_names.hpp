// NetworkManager's D-Bus names and the sdbus-c++ types its calls carry, shared by the NM
// client (nm_client.*) and the secret agent (secret_agent.*).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <sdbus-c++/sdbus-c++.h>

#include "mapping.hpp"

namespace dialkit::networkmanager {

using Dict = std::map<std::string, sdbus::Variant>;
using Settings = std::map<std::string, Dict>;
using Interfaces = std::map<std::string, Dict>;
using ManagedObjects = std::map<sdbus::ObjectPath, Interfaces>;

inline constexpr const char* nm_service = "org.freedesktop.NetworkManager";
inline constexpr const char* nm_path = "/org/freedesktop/NetworkManager";
inline constexpr const char* nm_iface = "org.freedesktop.NetworkManager";
inline constexpr const char* settings_path = "/org/freedesktop/NetworkManager/Settings";
inline constexpr const char* settings_iface = "org.freedesktop.NetworkManager.Settings";
inline constexpr const char* profile_iface = "org.freedesktop.NetworkManager.Settings.Connection";
inline constexpr const char* device_iface = "org.freedesktop.NetworkManager.Device";
inline constexpr const char* active_iface = "org.freedesktop.NetworkManager.Connection.Active";
inline constexpr const char* vpn_iface = "org.freedesktop.NetworkManager.VPN.Connection";
inline constexpr const char* props_iface = "org.freedesktop.DBus.Properties";
inline constexpr const char* objmgr_iface = "org.freedesktop.DBus.ObjectManager";
// What sd-bus calls the end of a connection (a local signal): the native name of a dial ended by it.
inline constexpr const char* bus_disconnected = "org.freedesktop.DBus.Local.Disconnected";

template <class T>
std::optional<T> variant_as(const Dict& d, const std::string& key) {
  const auto it = d.find(key);
  if (it == d.end() || !it->second.containsValueOfType<T>()) return std::nullopt;
  return it->second.get<T>();
}

// A D-Bus error reply as a portable error (see nm::dbus_error).
[[nodiscard]] inline Error bus_error(const sdbus::Error& e, std::string_view context) {
  return nm::dbus_error(e.getName(), e.getMessage(), context);
}

}  // namespace dialkit::networkmanager
