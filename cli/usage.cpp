#include "usage.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>

namespace dialkit::cli {

namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring characters each cost one ("stauts" is one step from "status").
std::size_t distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string quoted(std::string_view text) {
  // Long or control-laden values are not echoed whole.
  std::string out;
  for (const char c : text.substr(0, 40)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  if (text.size() > 40) out += "...";
  return out.empty() ? std::string("an empty value") : out;
}

}  // namespace

std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& known) {
  // Compare without the dashes of an option, so "-timeout" finds "--timeout".
  const auto bare = [](std::string_view s) {
    while (!s.empty() && s.front() == '-') s.remove_prefix(1);
    return s;
  };
  const std::string_view w = bare(word);
  if (w.empty()) return std::nullopt;
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const auto& candidate : known) {
    const std::string_view c = bare(candidate);
    std::size_t dist = distance(w, c);
    // A prefix of a longer name ("--time" for "--timeout") is a near miss too.
    if (w.size() >= 3 && c.substr(0, w.size()) == w) dist = std::min<std::size_t>(dist, 1);
    if (!best || dist < best_distance) {
      best = candidate;
      best_distance = dist;
    }
  }
  // Near enough: at most a third of the word wrong, and never more than 3 edits.
  const std::size_t allowed = std::min<std::size_t>(3, std::max<std::size_t>(1, w.size() / 3));
  if (best && best_distance <= allowed) return best;
  return std::nullopt;
}

Parsed<std::chrono::milliseconds> parse_seconds(std::string_view option, std::string_view text, bool zero_allowed) {
  const std::string want = zero_allowed ? "seconds >= 0" : "seconds > 0";
  Parsed<std::chrono::milliseconds> out;
  double seconds = 0;
  const char* const end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, seconds, std::chars_format::fixed);
  if (text.empty() || ec != std::errc{} || ptr != end || !std::isfinite(seconds)) {
    out.error = std::string(option) + ": expected " + want + ", got " + quoted(text);
    return out;
  }
  constexpr double max_seconds = 100.0 * 24 * 3600;
  if (seconds < 0 || (seconds == 0 && !zero_allowed)) {
    out.error = std::string(option) + ": expected " + want + ", got " + quoted(text);
    return out;
  }
  if (seconds > max_seconds) {
    out.error = std::string(option) + ": expected at most 8640000 seconds (100 days), got " + quoted(text);
    return out;
  }
  const auto ms = std::llround(seconds * 1000.0);
  if (seconds > 0 && ms == 0) {
    // Rounding it to 0 ms would make a timeout fire at once and a delay vanish.
    out.error = std::string(option) + ": " + quoted(text) + " seconds is below the 1 ms resolution (use 0.001 or more)";
    return out;
  }
  out.value = std::chrono::milliseconds(ms);
  return out;
}

Parsed<unsigned> parse_count(std::string_view option, std::string_view text, unsigned low, unsigned high) {
  Parsed<unsigned> out;
  unsigned long value = 0;
  const char* const end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  const std::string want =
      "expected a whole number from " + std::to_string(low) + " to " + std::to_string(high) + ", got " + quoted(text);
  if (text.empty() || ec != std::errc{} || ptr != end || value < low || value > high) {
    out.error = std::string(option) + ": " + want;
    return out;
  }
  out.value = static_cast<unsigned>(value);
  return out;
}

}  // namespace dialkit::cli
