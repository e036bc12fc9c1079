// The mock's native vocabulary as kit rows (plugins/include/dialkit/mapping.hpp): it speaks
// RAS's, so that its scenarios and traces read like a RAS dial. The state rows are core's
// state table (RASCONNSTATE values and names, written once in core/include/dialkit/state.hpp);
// the error rows are the RAS errors its pauses and faults end with by default. README.md's
// generated blocks come from here (mapping_docs(), tests/doc/mapping_doc.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include <dialkit/mapping.hpp>
#include <dialkit/state.hpp>

namespace dialkit::mock {

/// The native value of a state the mock reports: its RASCONNSTATE value.
using NativeState = std::int64_t;
/// A native error value: a RAS error code (winerror.h / raserror.h).
using NativeErrorCode = std::int64_t;

/// The name the mock gives `disconnecting`, which RAS does not have.
inline constexpr std::string_view own_disconnecting_name = "disconnecting";

/// True if `state` is one of State's values (a cast can make any other: the builder takes them).
[[nodiscard]] constexpr bool is_state(State state) noexcept {
  const auto i = static_cast<std::size_t>(state);
  return i >= 1 && i <= state_count;
}

/// One row per shared state, in numbering order: the RAS value (-1 for `disconnecting`) and name.
inline constexpr auto state_rows = [] {
  std::array<plugin::NativeMapping<NativeState>, state_count> rows{};
  for (std::size_t i = 0; i < state_count; ++i) {
    const auto& info = state_table[i];
    const bool own = info.ras_value == no_ras_value;
    rows[i] = {info.ras_value, own ? own_disconnecting_name : ras_state_name(info.state), info.state,
               own ? "the mock's own: RAS has no such state" : ""};
  }
  return rows;
}();
static_assert(plugin::has_unique_natives(state_rows));

/// The errors a scenario ends with when it gives none of its own (PauseSpec::error,
/// FaultSpec::drop_error and fail_error), as RAS reports them.
inline constexpr std::array<plugin::NativeErrorMapping<NativeErrorCode>, 6> error_rows{{
    {629, "ERROR_REMOTE_DISCONNECTION", Errc::peer_hung_up, "a fault's dropped link (`drop_error`)"},
    {648, "ERROR_PASSWD_EXPIRED", Errc::password_expired, "`password_expired` pause: attempts used up or not handled"},
    {651, "ERROR_FROM_DEVICE", Errc::connect_failed, "a fault's failed step (`fail_error`)"},
    {691, "ERROR_AUTHENTICATION_FAILURE", Errc::authentication_failed,
     "`retry_authentication` pause: attempts used up or not handled"},
    {703, "ERROR_INTERACTIVE_MODE", Errc::user_input_required, "`interactive` pause: attempts used up or not handled"},
    {704, "ERROR_BAD_CALLBACK_NUMBER", Errc::callback_required,
     "`callback_set_by_caller` pause: attempts used up or not handled"},
}};
static_assert(plugin::has_unique_natives(error_rows));

/// What a paused state does by default (default_pause()): the running state a wrong input
/// reports before the pause comes again, and the row of error_rows it ends with.
struct PauseRow {
  State paused;
  State retry;
  NativeErrorCode error;
};
inline constexpr std::array<PauseRow, 4> pause_rows{{
    {State::retry_authentication, State::authenticating, 691},
    {State::password_expired, State::auth_change_password, 648},
    {State::callback_set_by_caller, State::auth_callback, 704},
    {State::interactive, State::connecting_device, 703},
}};

/// A report of `state` with its default native code and name (state_rows), and the reason
/// and error given.
[[nodiscard]] NativeReport default_report(State state, std::string reason = {},
                                          std::optional<Error> error = std::nullopt);

/// The error of row `code` of error_rows, with no detail.
[[nodiscard]] Error default_error(NativeErrorCode code);

/// The README blocks made from these rows.
[[nodiscard]] std::array<plugin::MappingDoc, 2> mapping_docs();

}  // namespace dialkit::mock
