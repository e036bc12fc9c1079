// A connection's life so far and what core does with the next report of its backend: the rules
// of DESIGN.md section 2 (order, repeats, illegal transitions), section 3 (unhandled pauses, the
// end of a hang-up or a timeout) and section 10 (redial), as pure functions. The connection
// (connection.cpp) applies the verdict; tests check every row (tests/unit/test_life.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <dialkit/backend.hpp>
#include <dialkit/error.hpp>
#include <dialkit/redial.hpp>
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
  // What the last delivered event carried: a repeat of it that carries nothing new is dropped
  // (rule 3), and status() answers with it.
  std::int64_t native_code = 0;
  std::string native_name;
  std::optional<Error> error;  // kept until a state that clears it (connected, disconnected)
  std::optional<std::uint32_t> subentry;
  std::string reason;  // the last reason given; an empty one does not clear it
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

// Rule 3: the report repeats the last delivered state and carries nothing new.
[[nodiscard]] inline bool is_repeat(const LifeSoFar& life, const NativeReport& r) {
  return life.last && *life.last == r.state && r.native_code == life.native_code && r.error == life.error &&
         r.subentry == life.subentry && (r.reason.empty() || r.reason == life.reason);
}

// Records a delivered report in the life so far.
inline void remember(LifeSoFar& life, const NativeReport& r) {
  if (life.redial_started) {
    life.redial_started = false;
    life.disconnecting_seen = false;
  }
  life.last = r.state;
  if (r.state == State::connected) life.connected_seen = true;
  if (r.state == State::disconnecting) life.disconnecting_seen = true;
  if (is_paused(r.state)) life.disconnecting_seen = false;  // resuming continues the dial
  life.native_code = r.native_code;
  life.native_name = r.native_name;
  if (r.error || r.state == State::disconnected || r.state == State::connected) life.error = r.error;
  life.subentry = r.subentry;
  if (!r.reason.empty()) life.reason = r.reason;
}

// What the connection knows about itself besides its life, when a report arrives.
struct ReportContext {
  bool current_attempt = true;  // the report is of the connection's current attempt
  bool ended = false;           // `disconnected` was accepted already
  bool ending = false;          // core decided an end (hang-up, timeout, unhandled pause)
  bool timed_out = false;       // ... and that end is the dial timeout
  bool handles_pauses = false;  // the caller handles paused states (DialOptions)
  const RedialPolicy* redial = nullptr;  // the dial's redial policy; none: never redial
  std::uint32_t attempt = 1;             // the current attempt
};

// What core does with one report.
enum class Verdict : std::uint8_t {
  accept,               // deliver it
  drop_repeat,          // rule 3: a repeat that carries nothing new, dropped silently
  reject_illegal,       // rule 4: counted and diagnosed, never delivered
  redial,               // a failed attempt worth another: deliver it as `disconnecting` with its
                        // error (unless that repeats), then dial again under the same connection
  end_for_pause,        // the caller does not handle pauses: end with the matching error instead
  drop_late,            // after the end, or of an earlier attempt: diagnosed, dropped
  drop_after_timeout,   // `connected` after the timeout fired: diagnosed, dropped
  keep_native_end,      // the backend's own `disconnected` while core ends the connection: its
                        // native code goes on the `disconnected` core reports
  drop_moot_pause,      // a pause while hanging up: moot
};

[[nodiscard]] inline Verdict decide(const LifeSoFar& life, const ReportContext& now, const NativeReport& r) {
  if (now.ended || !now.current_attempt) return Verdict::drop_late;
  if (now.ending) {
    // The timeout fired first and the link is being hung up: `connected` now would be
    // followed by the timeout's `disconnected`, as if the timeout had fired after it.
    if (r.state == State::connected && now.timed_out) return Verdict::drop_after_timeout;
    // Core reports the end of a hang-up itself, with the reason it knows.
    if (r.state == State::disconnected) return Verdict::keep_native_end;
    if (!life.adopted && is_paused(r.state)) return Verdict::drop_moot_pause;
  }
  if (is_paused(r.state) && !now.handles_pauses && !life.adopted)
    return transition_allowed(life, r.state) ? Verdict::end_for_pause : Verdict::reject_illegal;
  if (r.state == State::disconnected && r.error && !life.connected_seen && !life.adopted && !now.ending &&
      now.redial && now.redial->should_retry(*r.error, now.attempt))
    return transition_allowed(life, State::disconnecting) ? Verdict::redial : Verdict::reject_illegal;
  if (!transition_allowed(life, r.state)) return Verdict::reject_illegal;
  if (is_repeat(life, r)) return Verdict::drop_repeat;
  return Verdict::accept;
}

// The error a pause turns into when the caller does not handle paused states.
[[nodiscard]] constexpr Errc error_for_unhandled_pause(State s) noexcept {
  switch (s) {
    case State::retry_authentication: return Errc::authentication_failed;
    case State::password_expired: return Errc::password_expired;
    case State::callback_set_by_caller: return Errc::callback_required;
    default: return Errc::user_input_required;
  }
}

}  // namespace dialkit::detail
