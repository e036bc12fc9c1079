/// @file
/// A portable redial policy: how many attempts, how long to wait between them, and which
/// errors are worth another try. Core applies it to attempts that fail before `connected`;
/// the attempt's error is delivered on a `disconnecting` event, and the next attempt's states
/// follow under the same connection (Event::attempt counts them).
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include <dialkit/error.hpp>

namespace dialkit {

/// When and how often core redials a failed attempt.
struct RedialPolicy {
  /// Attempts in all, the first one included; 1 means no redial.
  std::uint32_t attempts = 1;
  std::chrono::milliseconds initial_delay{1000};  ///<the wait before the first redial
  double backoff = 2.0;  ///<each further wait is the previous one times this
  std::chrono::milliseconds max_delay{30000};  ///<no wait is longer than this
  /// The errors worth another try: the far end was busy, silent or gone.
  std::vector<Errc> retry_on{Errc::line_busy, Errc::no_answer, Errc::no_carrier,
                             Errc::peer_hung_up};

  /// Whether an attempt that failed with `error` is worth another, after `attempts_made`.
  [[nodiscard]] bool should_retry(const Error& error, std::uint32_t attempts_made) const;
  /// The wait before attempt `next_attempt` (2 for the first redial).
  [[nodiscard]] std::chrono::milliseconds delay_before(std::uint32_t next_attempt) const;
};

}  // namespace dialkit
