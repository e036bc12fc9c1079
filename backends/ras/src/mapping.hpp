// The RAS backend's native tables (DESIGN.md section 4) as plugin-kit rows: every RASCONNSTATE
// (named by core's ras_state_name, so the RASCS_ names are written once, in state.hpp) onto its
// shared state, and every RAS error 600-870 plus the Win32 codes RAS functions return onto a
// portable Errc. Tests and the README (mapping_docs()) are made from these tables. Pure C++: no
// Win32 types.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <dialkit/error.hpp>
#include <dialkit/mapping.hpp>
#include <dialkit/state.hpp>

namespace dialkit::ras {

using StateRow = plugin::NativeMapping<std::uint32_t>;
using ErrorRow = plugin::NativeErrorMapping<std::uint32_t>;

// All 32 RASCONNSTATE values, including RASCS_ApplySettings (24), in value order: the shared
// states with a RAS value, as core numbers them.
inline constexpr std::array<StateRow, 32> state_rows = [] {
  std::array<StateRow, 32> rows{};
  std::size_t n = 0;
  for (const auto& info : dialkit::state_table)
    if (const auto value = dialkit::ras_value(info.state))
      rows[n++] = StateRow{*value, dialkit::ras_state_name(info.state), info.state};
  return rows;
}();
static_assert(plugin::has_unique_natives(state_rows));

// The table as a span (tests walk it).
[[nodiscard]] inline std::span<const StateRow> ras_state_names() noexcept { return state_rows; }
// "RASCS_Authenticate"; "RASCS_0x1234" style text for a value RAS may add later.
[[nodiscard]] std::string ras_state_name(std::uint32_t value);
// The shared state of a RASCONNSTATE; nullopt for a value the table does not know.
[[nodiscard]] constexpr std::optional<State> state_for_ras(std::uint32_t value) noexcept {
  const auto mapped = plugin::map_state(state_rows, value, State::opening_port);
  if (!mapped.reported) return std::nullopt;
  return mapped.state;
}

inline constexpr std::uint32_t ras_error_first = 600;  // RASBASE
inline constexpr std::uint32_t ras_error_last = 870;   // RASBASEEND
// Every code 600-870, in order, then the Win32 codes RAS returns.
[[nodiscard]] std::span<const ErrorRow> ras_error_table() noexcept;
[[nodiscard]] const ErrorRow* find_ras_error(std::uint32_t code) noexcept;
// Errc::unknown for a code outside the table (the native code is kept either way).
[[nodiscard]] Errc errc_for_ras_error(std::uint32_t code) noexcept;

// A portable Error for a RAS code. `text` is RasGetErrorString's text (the symbolic name is
// used when it is empty); the symbolic name and `context` go into the detail.
[[nodiscard]] Error make_ras_error(std::uint32_t code, std::string text, std::string_view context = {});

// The README's generated blocks (backends/ras/README.md: ras-states, ras-errors).
[[nodiscard]] std::array<plugin::MappingDoc, 2> mapping_docs();

}  // namespace dialkit::ras
