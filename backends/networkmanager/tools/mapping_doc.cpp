// Prints the NetworkManager backend's tables (src/tables.hpp) as Markdown, for the generated
// blocks of README.md and backends/networkmanager/README.md. `mapping_doc BLOCK` prints one
// block; `mapping_doc` lists them. The test docs.mapping.networkmanager compares the READMEs
// with this output; `cmake --build BUILD --target update-docs` rewrites them
// (cmake/DialkitMappingDocs.cmake).
#include "doc_blocks.hpp"
#include "tables.hpp"

#include <algorithm>
#include <iostream>
#include <span>
#include <string>
#include <string_view>

namespace {

using namespace dialkit;

using dialkit::doc::markdown_cell;

std::string_view strip(std::string_view name, std::string_view prefix) {
  if (name.starts_with(prefix)) name.remove_prefix(prefix.size());
  return name;
}

// "40 PREPARE" and "opening_port", or two empty cells past the end of the table.
std::string state_pair(std::span<const nm::StateRow> table, std::size_t i, std::string_view prefix) {
  if (i >= table.size()) return " | ";
  const auto& row = table[i];
  std::string out = std::to_string(row.value) + " " + std::string(strip(row.name, prefix)) + " | ";
  out += row.state ? std::string(state_name(*row.state)) : "(not reported)";
  return out;
}

void states(std::ostream& out) {
  out << "| NMDeviceState | shared | NMVpnConnectionState | shared | NMActiveConnectionState | shared |\n"
         "|---|---|---|---|---|---|\n";
  const std::size_t rows =
      std::max({nm::device_states.size(), nm::vpn_states.size(), nm::active_states.size()});
  for (std::size_t i = 0; i < rows; ++i)
    out << "| " << state_pair(nm::device_states, i, "NM_DEVICE_STATE_") << " | "
        << state_pair(nm::vpn_states, i, "NM_VPN_CONNECTION_STATE_") << " | "
        << state_pair(nm::active_states, i, "NM_ACTIVE_CONNECTION_STATE_") << " |\n";
}

void reasons(std::ostream& out, std::span<const nm::ReasonRow> table, std::string_view title,
             std::string_view prefix) {
  out << "| value | " << title << " | error | clean end | meaning |\n|---|---|---|---|---|\n";
  for (const auto& r : table)
    out << "| " << r.value << " | " << strip(r.name, prefix) << " | `" << error_name(r.error)
        << "` | " << (r.clean ? "yes" : "") << " | " << markdown_cell(r.meaning) << " |\n";
}

void device_reasons(std::ostream& out) {
  reasons(out, nm::device_state_reasons, "NMDeviceStateReason", "NM_DEVICE_STATE_REASON_");
}

void active_reasons(std::ostream& out) {
  reasons(out, nm::active_state_reasons, "NMActiveConnectionStateReason",
          "NM_ACTIVE_CONNECTION_STATE_REASON_");
}

void dbus_errors(std::ostream& out) {
  out << "| D-Bus error | error |\n|---|---|\n";
  for (const auto& e : nm::dbus_errors)
    out << "| " << e.name << " | `" << error_name(e.error) << "` |\n";
  out << "| any other | `" << error_name(nm::dbus_error_code("")) << "` |\n";
}

constexpr dialkit::doc::DocBlock blocks[] = {
    {"nm-states", states},
    {"nm-device-reasons", device_reasons},
    {"nm-active-reasons", active_reasons},
    {"nm-dbus-errors", dbus_errors},
};

}  // namespace

int main(int argc, char** argv) { return dialkit::doc::run_doc_blocks(argc, argv, blocks); }
