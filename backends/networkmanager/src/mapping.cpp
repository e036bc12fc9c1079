// NetworkManager's reasons as errors, D-Bus errors as errors, and the README blocks made from
// the tables (see mapping.hpp).
#include "mapping.hpp"

namespace dialkit::nm {

namespace {

template <std::size_t N>
ReasonEnd reason_end(const std::array<ReasonMapping, N>& table, std::uint32_t reason, bool connected,
                     std::string_view prefix) {
  const auto row = plugin::find_row(table, reason);
  if (!row)
    return {make_error(Errc::unknown, reason, std::string(prefix) + std::to_string(reason),
                       "a reason this backend does not know"),
            {}};
  auto error = plugin::end_error(table, reason, connected, std::string(row->note));
  if (error) return {std::move(error), {}};
  return {std::nullopt, std::string(row->name) + ": " + std::string(row->note)};
}

std::string states_markdown() {
  std::string out;
  const auto table = [&](std::string_view title, const auto& rows) {
    if (!out.empty()) out += "\n";
    out += std::string(title) + ":\n\n" + plugin::mapping_markdown(rows, {.value_header = "value", .name_header = title});
  };
  table("NMDeviceState", device_states);
  table("NMVpnConnectionState", vpn_states);
  table("NMActiveConnectionState", active_states);
  return out;
}

std::string device_reasons_markdown() {
  return plugin::error_markdown(device_state_reasons, {.value_header = "value", .name_header = "NMDeviceStateReason"});
}

std::string active_reasons_markdown() {
  return plugin::error_markdown(active_state_reasons,
                                {.value_header = "value", .name_header = "NMActiveConnectionStateReason"});
}

std::string dbus_errors_markdown() {
  std::string out = "| D-Bus error | error |\n|---|---|\n";
  for (const auto& e : dbus_errors)
    out += "| " + plugin::detail::markdown_cell(e.name) + " | `" + std::string(error_name(e.error)) + "` |\n";
  out += "| any other | `" + std::string(error_name(dbus_error_code(""))) + "` |\n";
  return out;
}

}  // namespace

ReasonEnd device_reason_end(std::uint32_t reason, bool connected) {
  return reason_end(device_state_reasons, reason, connected, "NM_DEVICE_STATE_REASON_");
}

ReasonEnd active_reason_end(std::uint32_t reason, bool connected) {
  return reason_end(active_state_reasons, reason, connected, "NM_ACTIVE_CONNECTION_STATE_REASON_");
}

Error dbus_error(std::string_view name, std::string_view message, std::string_view context) {
  Error e = make_error(dbus_error_code(name),
                       context.empty() ? std::string(message) : std::string(context) + ": " + std::string(message));
  e.native_text = std::string(name);
  return e;
}

std::array<plugin::MappingDoc, 4> mapping_docs() {
  return {{
      {"nm-states", states_markdown},
      {"nm-device-reasons", device_reasons_markdown},
      {"nm-active-reasons", active_reasons_markdown},
      {"nm-dbus-errors", dbus_errors_markdown},
  }};
}

}  // namespace dialkit::nm
