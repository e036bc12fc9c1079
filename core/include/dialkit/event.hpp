// Events (DESIGN.md section 2): what a subscriber receives for each state change of a
// connection, and the diagnostics core reports about what it refused to deliver.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <dialkit/error.hpp>
#include <dialkit/state.hpp>

namespace dialkit {

using ConnectionId = std::uint64_t;
using Clock = std::chrono::steady_clock;

struct Event {
  ConnectionId connection = 0;
  std::string backend;
  std::string entry;
  // Per connection, from 1, without gaps among delivered events.
  std::uint64_t seq = 0;
  State state = State::opening_port;
  // Empty on a connection's first event.
  std::optional<State> previous;
  // Steady clock; in virtual time the scheduler's clock.
  Clock::time_point time{};
  // What produced the event natively (RAS state, pppd phase, NM state) and its name.
  std::int64_t native_code = 0;
  std::string native_name;
  // Set on a `disconnected` that ends a failed dial, and on the `disconnecting` that ends
  // a failed attempt before a redial.
  std::optional<Error> error;
  // Why a clean end happened ("local hang-up"), or other context from the backend.
  std::string reason;
  // The link of a multilink bundle a subentry_* event is about.
  std::optional<std::uint32_t> subentry;
  // Dial attempt (1 + redials so far).
  std::uint32_t attempt = 1;
  // True when this is the "current state first" copy given to a new subscriber.
  bool replayed = false;

  [[nodiscard]] StateGroup group() const noexcept { return state_group(state); }
};

using EventSlot = std::function<void(const Event&)>;

// What core reports on its diagnostics signal: things it did not deliver as events.
struct Diagnostic {
  enum class Kind : std::uint8_t {
    illegal_transition,  // a backend reported a transition DESIGN.md rule 2 forbids
    slot_exception,      // a subscriber threw; the others still got the event
    late_report,         // a backend reported after the connection ended
    backend_error,       // a backend failed an operation core started on its own
  };
  Kind kind = Kind::illegal_transition;
  ConnectionId connection = 0;
  std::string backend;
  std::optional<State> from;
  std::optional<State> to;
  std::int64_t native_code = 0;
  std::string native_name;
  std::string message;
};

[[nodiscard]] std::string_view diagnostic_kind_name(Diagnostic::Kind) noexcept;

using DiagnosticSlot = std::function<void(const Diagnostic&)>;

}  // namespace dialkit
