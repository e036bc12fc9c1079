// A portable redial policy: how many attempts, how long to wait between them, and which
// errors are worth another try. Core applies it to attempts that fail before `connected`;
// the attempt's error is delivered on a `disconnecting` event, and the next attempt's states
// follow under the same connection (Event::attempt counts them).
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include <dialkit/error.hpp>

namespace dialkit {

struct RedialPolicy {
  // Attempts in all, the first one included; 1 means no redial.
  std::uint32_t attempts = 1;
  std::chrono::milliseconds initial_delay{1000};
  double backoff = 2.0;
  std::chrono::milliseconds max_delay{30000};
  // The errors worth another try: the far end was busy, silent or gone.
  std::vector<Errc> retry_on{Errc::line_busy, Errc::no_answer, Errc::no_carrier,
                             Errc::peer_hung_up};

  [[nodiscard]] bool should_retry(const Error& error, std::uint32_t attempts_made) const;
  // The wait before attempt `next_attempt` (2 for the first redial).
  [[nodiscard]] std::chrono::milliseconds delay_before(std::uint32_t next_attempt) const;
};

}  // namespace dialkit
