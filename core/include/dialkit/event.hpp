/// @file
/// Events (DESIGN.md section 2): what a subscriber receives for each state change of a
/// connection, and the diagnostics core reports about what it refused to deliver.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <dialkit/error.hpp>
#include <dialkit/state.hpp>

namespace dialkit {

/// Identifies one connection within a runtime.
using ConnectionId = std::uint64_t;
/// The clock of event times and of the Scheduler.
using Clock = std::chrono::steady_clock;

/// One state change of a connection, as subscribers receive it.
struct Event {
  ConnectionId connection = 0;  ///<the connection it belongs to, numbered within its runtime
  /// The connection's id across processes (DESIGN.md section 3, "ids are one namespace"):
  /// LiveConnection::id, what Dialer::hangup() and `dialkit status/hangup/watch` take. Set on
  /// the events of watched connections; empty when the backend gave none. For a dial, the
  /// same id is Connection::status().device.native_id.
  std::string live_id;
  std::string backend;  ///<the backend's name
  std::string entry;  ///<the entry dialled
  /// Per connection, from 1, without gaps among delivered events.
  std::uint64_t seq = 0;
  State state = State::opening_port;  ///<the new state
  /// Empty on a connection's first event.
  std::optional<State> previous;
  /// Steady clock; in virtual time the scheduler's clock.
  Clock::time_point time{};
  /// What produced the event natively (RAS state, pppd phase, NM state) and its name.
  std::int64_t native_code = 0;
  std::string native_name;  ///<the native value's name
  /// Set on a `disconnected` that ends a failed dial, and on the `disconnecting` that ends
  /// a failed attempt before a redial.
  std::optional<Error> error;
  /// Why a clean end happened ("local hang-up"), or other context from the backend.
  std::string reason;
  /// The link of a multilink bundle a subentry_* event is about.
  std::optional<std::uint32_t> subentry;
  /// Dial attempt (1 + redials so far).
  std::uint32_t attempt = 1;
  /// True when this is the "current state first" copy given to a new subscriber.
  bool replayed = false;

  [[nodiscard]] StateGroup group() const noexcept { return state_group(state); }  ///<the new state's group
};

/// A subscriber to events.
using EventSlot = std::function<void(const Event&)>;

/// What core reports on its diagnostics signal: things it did not deliver as events.
struct Diagnostic {
  /// What a diagnostic is about.
  enum class Kind : std::uint8_t {
    illegal_transition,  ///< a backend reported a transition DESIGN.md rule 2 forbids
    slot_exception,      ///< a subscriber threw; the others still got the event
    late_report,         ///< a backend reported after the connection ended
    backend_error,       ///< a backend failed an operation core started on its own
    slow_slot,           ///< a subscriber ran longer than RuntimeOptions::slow_slot_after
  };
  Kind kind = Kind::illegal_transition;  ///<what happened
  ConnectionId connection = 0;  ///<the connection concerned
  std::string backend;  ///<the backend concerned
  std::optional<State> from;  ///<the state before, if any
  std::optional<State> to;  ///<the state reported, if any
  std::int64_t native_code = 0;  ///<the native value reported
  std::string native_name;  ///<its name
  std::string message;  ///<what happened, for people
};

/// The stable name of a diagnostic kind ("late_report").
[[nodiscard]] std::string_view diagnostic_kind_name(Diagnostic::Kind) noexcept;

/// A subscriber to diagnostics.
using DiagnosticSlot = std::function<void(const Diagnostic&)>;

}  // namespace dialkit
