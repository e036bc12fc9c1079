// The RAS backend's native tables (DESIGN.md section 4), as data: RASCONNSTATE names (the
// states themselves map by identity through dialkit::state_from_ras_value), and every RAS error
// 600-870 plus the Win32 codes RAS functions return, each onto a portable Errc. Tests and the
// README are made from these tables. Pure C++: no Win32 types.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <dialkit/error.hpp>
#include <dialkit/state.hpp>

namespace dialkit::ras {

struct RasStateName {
  std::uint32_t value;
  std::string_view name;
};
// All 32 RASCONNSTATE values, including RASCS_ApplySettings (24).
[[nodiscard]] std::span<const RasStateName> ras_state_names() noexcept;
// "RASCS_Authenticate"; "RASCS_0x1234" style text for a value RAS may add later.
[[nodiscard]] std::string ras_state_name(std::uint32_t value);
// Identity onto the shared states; nullopt for a value the table does not know.
[[nodiscard]] inline std::optional<State> state_for_ras(std::uint32_t value) noexcept {
  return state_from_ras_value(value);
}

struct RasErrorInfo {
  std::uint32_t code;
  std::string_view name;  // raserror.h / winerror.h name
  Errc errc;
};
inline constexpr std::uint32_t ras_error_first = 600;  // RASBASE
inline constexpr std::uint32_t ras_error_last = 870;   // RASBASEEND
// Every code 600-870, in order, then the Win32 codes RAS returns.
[[nodiscard]] std::span<const RasErrorInfo> ras_error_table() noexcept;
[[nodiscard]] const RasErrorInfo* find_ras_error(std::uint32_t code) noexcept;
// Errc::unknown for a code outside the table (the native code is kept either way).
[[nodiscard]] Errc errc_for_ras_error(std::uint32_t code) noexcept;

// A portable Error for a RAS code. `text` is RasGetErrorString's text (the symbolic name is
// used when it is empty); the symbolic name and `context` go into the detail.
[[nodiscard]] Error make_ras_error(std::uint32_t code, std::string text, std::string_view context = {});

}  // namespace dialkit::ras
