// Internals of the runtime shared by runtime.cpp and its tests: the transition rules of
// DESIGN.md section 2 as a pure function.
#pragma once

#include <optional>

#include <dialkit/state.hpp>

namespace dialkit::detail {

// What the validator remembers about a connection's life so far.
struct LifeSoFar {
  std::optional<State> last;
  bool connected_seen = false;
  bool disconnecting_seen = false;
  // Core started another attempt after a failed one: running states may follow
  // `disconnecting` once.
  bool redial_started = false;
  // Observed (watched) connections may start in any state.
  bool adopted = false;
};

// Rule 2 of DESIGN.md section 2. Back-to-back repeats are rule 3's business (the caller
// drops those that carry nothing new) and are legal here, except after `disconnected`.
[[nodiscard]] constexpr bool transition_allowed(const LifeSoFar& life, State next) noexcept {
  const auto group = state_group(next);
  if (!life.last) {
    if (life.adopted) return true;
    return group == StateGroup::running || next == State::disconnected;
  }
  const State last = *life.last;
  if (last == State::disconnected) return false;
  if (next == last) return true;
  if (next == State::disconnected) return true;
  if (life.connected_seen) {
    return next == State::disconnecting || next == State::subentry_connected ||
           next == State::subentry_disconnected;
  }
  if (life.disconnecting_seen && !life.redial_started) {
    // Before `connected`, a failed attempt's teardown may still pause (pppd's rejected
    // password: teardown phases, then retry_authentication); rule 2 allows running → paused.
    return next == State::disconnecting || next == State::subentry_disconnected ||
           group == StateGroup::paused;
  }
  if (state_group(last) == StateGroup::paused) return group == StateGroup::running;
  return true;
}

}  // namespace dialkit::detail
