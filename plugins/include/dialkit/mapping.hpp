/// @file
/// Native-to-shared mapping helpers for backend authors. A backend keeps its tables as data
/// next to its code (DESIGN.md section 4): one constexpr array that maps each native value
/// (a RAS state, a pppd phase, an NM device state) to a shared State, and one that maps each
/// native error to a portable Errc. Lookups never fail: a native value missing from a table
/// comes back marked unknown, with a fallback the caller chose, so a new native value never
/// crashes a backend and never passes for a value it is not (Qt's `Unknown` fallback).
///
///     enum class Phase : int { dialing = 1, up = 7 };
///     inline constexpr std::array<dialkit::plugin::NativeMapping<Phase>, 2> phases{{
///         {Phase::dialing, "DIALING", dialkit::State::connecting_device},
///         {Phase::up, "UP", dialkit::State::connected},
///     }};
///     static_assert(dialkit::plugin::has_unique_natives(phases));
///     reporter->report(dialkit::plugin::native_report(phases, Phase::up, dialkit::State::opening_port));
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <dialkit/backend.hpp>
#include <dialkit/error.hpp>
#include <dialkit/state.hpp>

namespace dialkit::plugin {

/// One row of a backend's state table: a native value, its native name (as traces and the
/// docs show it) and the shared state it maps to.
template <class Native>
struct NativeMapping {
  Native native;           ///< The native value (an enum, or an integer).
  std::string_view name;   ///< The native name, e.g. "PHASE_AUTHENTICATE".
  State state;             ///< The shared state (DESIGN.md section 1) it maps to.
};

/// One row of a backend's error table: a native error value, its native name and the
/// portable error code it maps to.
template <class Native>
struct NativeErrorMapping {
  Native native;           ///< The native error value.
  std::string_view name;   ///< The native name, e.g. "EXIT_PEER_AUTH_FAILED".
  Errc code;               ///< The portable error code (DESIGN.md section 5).
};

/// The answer of map_state(): always usable; `known` tells whether the table had the value.
struct MappedState {
  State state = State::opening_port;  ///< The mapped state, or the caller's fallback.
  std::string_view name;              ///< The native name, or "unknown" when not in the table.
  bool known = false;                 ///< False when the value is not in the table.
};

/// The name lookups give a native value that is not in the table.
inline constexpr std::string_view unknown_native_name = "unknown";

/// A native value as the integer that Event::native_code and Error::native_code carry.
template <class Native>
[[nodiscard]] constexpr std::int64_t native_code(Native value) noexcept {
  if constexpr (std::is_enum_v<Native>) {
    return static_cast<std::int64_t>(std::to_underlying(value));
  } else {
    static_assert(std::is_integral_v<Native>, "native values are enums or integers");
    return static_cast<std::int64_t>(value);
  }
}

/// The row of `table` for `value`, if there is one.
template <class Row, std::size_t N, class Native>
[[nodiscard]] constexpr std::optional<Row> find_row(const std::array<Row, N>& table,
                                                    Native value) noexcept {
  for (const auto& row : table)
    if (row.native == value) return row;
  return std::nullopt;
}

/// True when no native value appears twice in `table`; meant for `static_assert`, so that
/// a table edited by hand cannot map one value two ways.
template <class Row, std::size_t N>
[[nodiscard]] constexpr bool has_unique_natives(const std::array<Row, N>& table) noexcept {
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t j = i + 1; j < N; ++j)
      if (table[i].native == table[j].native) return false;
  return true;
}

/// True when every value in `natives` has a row in `table`: a `static_assert` that the table
/// covers the whole native enumeration (list every enumerator in `natives`).
template <class Row, std::size_t N, class Native, std::size_t M>
[[nodiscard]] constexpr bool covers(const std::array<Row, N>& table,
                                    const std::array<Native, M>& natives) noexcept {
  for (const auto& value : natives)
    if (!find_row(table, value)) return false;
  return true;
}

/// Maps a native value through a state table; a value not in the table maps to `fallback`
/// with `known == false` (the caller decides what an unknown value means: usually "no
/// change", so it reports nothing, or a safe state of the current group).
template <class Native, std::size_t N>
[[nodiscard]] constexpr MappedState map_state(const std::array<NativeMapping<Native>, N>& table,
                                              Native value, State fallback) noexcept {
  if (const auto row = find_row(table, value)) return MappedState{row->state, row->name, true};
  return MappedState{fallback, unknown_native_name, false};
}

/// A NativeReport for a native value: the mapped state (or `fallback`), the native code and
/// the native name, ready for Reporter::report().
template <class Native, std::size_t N>
[[nodiscard]] NativeReport native_report(const std::array<NativeMapping<Native>, N>& table,
                                         Native value, State fallback) {
  const MappedState mapped = map_state(table, value, fallback);
  NativeReport report;
  report.state = mapped.state;
  report.native_code = native_code(value);
  report.native_name = std::string(mapped.name);
  return report;
}

/// Maps a native error value to a portable Errc; Errc::unknown when it is not in the table.
template <class Native, std::size_t N>
[[nodiscard]] constexpr Errc map_error(const std::array<NativeErrorMapping<Native>, N>& table,
                                       Native value) noexcept {
  if (const auto row = find_row(table, value)) return row->code;
  return Errc::unknown;
}

/// An Error for a native error value: the portable code from `table` (Errc::unknown when the
/// value is not in it), the native code and the native name, and a detail for people.
template <class Native, std::size_t N>
[[nodiscard]] Error native_error(const std::array<NativeErrorMapping<Native>, N>& table,
                                 Native value, std::string detail = {}) {
  Error error;
  const auto row = find_row(table, value);
  error.code = row ? row->code : Errc::unknown;
  error.native_code = native_code(value);
  error.native_text = std::string(row ? row->name : unknown_native_name);
  error.detail = std::move(detail);
  return error;
}

/// A state table as a Markdown table (native value, native name, shared state, group), so a
/// backend's README is generated from the code's own table and never drifts from it.
template <class Native, std::size_t N>
[[nodiscard]] std::string mapping_markdown(const std::array<NativeMapping<Native>, N>& table) {
  std::string out = "| native | name | shared state | group |\n|---|---|---|---|\n";
  for (const auto& row : table) {
    out += "| " + std::to_string(native_code(row.native)) + " | " + std::string(row.name) +
           " | " + std::string(state_name(row.state)) + " | " +
           std::string(group_name(state_group(row.state))) + " |\n";
  }
  return out;
}

/// An error table as a Markdown table (native value, native name, portable error).
template <class Native, std::size_t N>
[[nodiscard]] std::string error_markdown(const std::array<NativeErrorMapping<Native>, N>& table) {
  std::string out = "| native | name | error |\n|---|---|---|\n";
  for (const auto& row : table) {
    out += "| " + std::to_string(native_code(row.native)) + " | " + std::string(row.name) +
           " | " + std::string(error_name(row.code)) + " |\n";
  }
  return out;
}

}  // namespace dialkit::plugin
