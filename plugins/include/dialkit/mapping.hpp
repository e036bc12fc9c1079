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

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <dialkit/backend.hpp>
#include <dialkit/error.hpp>
#include <dialkit/state.hpp>

namespace dialkit::plugin {

/// One row of a backend's state table: a native value, its native name (as traces and the
/// docs show it), the shared state it maps to and a note for the docs.
template <class Native>
struct NativeMapping {
  Native native;                ///< The native value (an enum, or an integer).
  std::string_view name;        ///< The native name, e.g. "PHASE_AUTHENTICATE".
  /// The shared state (DESIGN.md section 1) it maps to; empty for a value the platform has but
  /// the backend never reports as a state of its own (NM's UNKNOWN, RAS states it only polls).
  std::optional<State> state;
  std::string_view note{};      ///< What the docs say about the row (when it applies, what else happens).
};

/// How a native error ends a connection (a native end reason is not always a failure).
enum class NativeEnd : std::uint8_t {
  failure,             ///< always an error: the row's code
  clean,               ///< never an error (pppd EXIT_OK, a user's own stop)
  clean_if_connected,  ///< deliberate (a client or the daemon chose it): clean once `connected`,
                       ///< the row's code before that
};

/// One row of a backend's error table: a native error value, its native name, the portable
/// error code it maps to, a note for the docs and how it ends a connection.
template <class Native>
struct NativeErrorMapping {
  Native native;                 ///< The native error value.
  std::string_view name;         ///< The native name, e.g. "EXIT_PEER_AUTH_FAILED".
  Errc code;                     ///< The portable error code (DESIGN.md section 5).
  std::string_view note{};       ///< What it means, for the docs.
  NativeEnd end = NativeEnd::failure;  ///< Whether it ends a connection with an error.
};

/// The answer of map_state(): always usable; `known` tells whether the table had the value,
/// `reported` whether the row maps it to a state (when not, `state` is the fallback).
struct MappedState {
  State state = State::opening_port;  ///< The mapped state, or the caller's fallback.
  std::string_view name;              ///< The native name, or "unknown" when not in the table.
  bool known = false;                 ///< False when the value is not in the table.
  bool reported = false;              ///< False when unknown, or known but mapped to no state.
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
  if (const auto row = find_row(table, value))
    return MappedState{row->state.value_or(fallback), row->name, true, row->state.has_value()};
  return MappedState{fallback, unknown_native_name, false, false};
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

/// The error a native end value ends a connection with, or nothing for a clean end (see
/// NativeEnd); `was_connected` says whether the connection reached `connected`. A value not in
/// the table is an Errc::unknown failure carrying the native code.
template <class Native, std::size_t N>
[[nodiscard]] std::optional<Error> end_error(const std::array<NativeErrorMapping<Native>, N>& table,
                                             Native value, bool was_connected, std::string detail = {}) {
  const auto row = find_row(table, value);
  if (row && (row->end == NativeEnd::clean || (row->end == NativeEnd::clean_if_connected && was_connected)))
    return std::nullopt;
  return native_error(table, value, std::move(detail));
}

/// How mapping_markdown() and error_markdown() print a table.
struct MarkdownStyle {
  std::string_view value_header = "native";  ///< the first column's heading
  std::string_view name_header = "name";     ///< the second column's heading
  /// Values at or above this print in hex ("0x1000"); 0 never.
  std::uint64_t hex_from = 0;
};

namespace detail {
inline std::string markdown_cell(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}
inline std::string markdown_value(std::int64_t value, const MarkdownStyle& style) {
  if (style.hex_from != 0 && value >= 0 && static_cast<std::uint64_t>(value) >= style.hex_from) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string hex;
    for (auto v = static_cast<std::uint64_t>(value); v != 0; v >>= 4) hex.insert(hex.begin(), digits[v & 0xF]);
    return "0x" + hex;
  }
  return std::to_string(value);
}
template <class Row, std::size_t N>
bool any_note(const std::array<Row, N>& table) {
  for (const auto& row : table)
    if (!row.note.empty()) return true;
  return false;
}
}  // namespace detail

/// A state table as a Markdown table (native value, native name, shared state, group, and the
/// notes when any row has one), so a backend's README is generated from the code's own table
/// and never drifts from it. A row with no state shows "(not reported)".
template <class Native, std::size_t N>
[[nodiscard]] std::string mapping_markdown(const std::array<NativeMapping<Native>, N>& table,
                                           const MarkdownStyle& style = {}) {
  const bool notes = detail::any_note(table);
  std::string out = "| " + std::string(style.value_header) + " | " + std::string(style.name_header) +
                    " | shared state | group |" + (notes ? " note |\n|---|---|---|---|---|\n" : "\n|---|---|---|---|\n");
  for (const auto& row : table) {
    out += "| " + detail::markdown_value(native_code(row.native), style) + " | " + detail::markdown_cell(row.name) + " | ";
    if (row.state)
      out += std::string(state_name(*row.state)) + " | " + std::string(group_name(state_group(*row.state))) + " |";
    else
      out += "(not reported) |  |";
    if (notes) out += " " + detail::markdown_cell(row.note) + " |";
    out += "\n";
  }
  return out;
}

/// An error table as a Markdown table (native value, native name, portable error, and the
/// notes when any row has one). A clean end shows "none (clean end)"; a deliberate one
/// "CODE; none once connected".
template <class Native, std::size_t N>
[[nodiscard]] std::string error_markdown(const std::array<NativeErrorMapping<Native>, N>& table,
                                         const MarkdownStyle& style = {}) {
  const bool notes = detail::any_note(table);
  std::string out = "| " + std::string(style.value_header) + " | " + std::string(style.name_header) + " | error |" +
                    (notes ? " note |\n|---|---|---|---|\n" : "\n|---|---|---|\n");
  for (const auto& row : table) {
    out += "| " + detail::markdown_value(native_code(row.native), style) + " | " + detail::markdown_cell(row.name) + " | ";
    switch (row.end) {
      case NativeEnd::failure: out += std::string(error_name(row.code)); break;
      case NativeEnd::clean: out += "none (clean end)"; break;
      case NativeEnd::clean_if_connected: out += std::string(error_name(row.code)) + "; none once connected"; break;
    }
    out += " |";
    if (notes) out += " " + detail::markdown_cell(row.note) + " |";
    out += "\n";
  }
  return out;
}

/// An error table grouped by portable error: one row per Errc with the native values that map
/// to it, runs of consecutive values as ranges ("601, 606, 608–609"). For platforms with
/// hundreds of codes (RAS).
template <class Native, std::size_t N>
[[nodiscard]] std::string errors_by_code_markdown(const std::array<NativeErrorMapping<Native>, N>& table,
                                                  std::string_view values_header = "native values") {
  std::vector<std::pair<std::string_view, std::vector<std::int64_t>>> groups;
  for (const auto& row : table) {
    const std::string_view name = error_name(row.code);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == name; });
    if (it == groups.end()) it = groups.insert(groups.end(), {name, {}});
    it->second.push_back(native_code(row.native));
  }
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out = "| Errc | " + std::string(values_header) + " |\n|---|---|\n";
  for (auto& [name, values] : groups) {
    std::sort(values.begin(), values.end());
    std::string cell;
    for (std::size_t i = 0; i < values.size();) {
      std::size_t j = i;
      while (j + 1 < values.size() && values[j + 1] == values[j] + 1) ++j;
      if (!cell.empty()) cell += ", ";
      cell += std::to_string(values[i]);
      if (j > i) cell += "\u2013" + std::to_string(values[j]);
      i = j + 1;
    }
    out += "| `" + std::string(name) + "` | " + cell + " |\n";
  }
  return out;
}

/// One generated README block of a backend: its name (the `<!-- BEGIN GENERATED: name -->`
/// marker's) and what renders it. A backend lists its blocks in a `mapping_docs()` function
/// next to its tables; the tree's one generator prints them (cmake/DialkitMappingDocs.cmake).
struct MappingDoc {
  std::string_view block;        ///< the marker's name
  std::string (*render)();       ///< the block's Markdown
};

}  // namespace dialkit::plugin
