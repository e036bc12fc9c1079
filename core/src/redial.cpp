// The redial policy's decisions.
#include <dialkit/redial.hpp>

#include <algorithm>
#include <cmath>

namespace dialkit {

bool RedialPolicy::should_retry(const Error& error, std::uint32_t attempts_made) const {
  if (attempts_made >= attempts) return false;
  return std::find(retry_on.begin(), retry_on.end(), error.code) != retry_on.end();
}

std::chrono::milliseconds RedialPolicy::delay_before(std::uint32_t next_attempt) const {
  if (next_attempt < 2) return std::chrono::milliseconds{0};
  const double factor = std::pow(std::max(backoff, 1.0), static_cast<double>(next_attempt - 2));
  const double ms = static_cast<double>(initial_delay.count()) * factor;
  const double capped = std::min(ms, static_cast<double>(max_delay.count()));
  return std::chrono::milliseconds{static_cast<std::int64_t>(capped)};
}

}  // namespace dialkit
