// What the CLI says about a command line it cannot use: an unknown command or option, with the
// nearest known one suggested, and number values checked here (not by CLI11, whose messages
// print the double range), each error naming the option and what it got.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dialkit::cli {

// The known word nearest to `word` (edit distance, a swap of neighbours counting once), if
// it is near enough to be what was meant; none otherwise.
[[nodiscard]] std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& known);

// A value or the message to print after "dialkit: ".
template <class T>
struct Parsed {
  std::optional<T> value;
  std::string error;
};

// Seconds as given to --timeout (zero_allowed = false) or --hangup-after (zero_allowed =
// true): a plain decimal number, at least 1 ms unless zero is allowed and given, at most
// 100 days (beyond that a std::chrono::milliseconds cast would be meaningless anyway).
[[nodiscard]] Parsed<std::chrono::milliseconds> parse_seconds(std::string_view option, std::string_view text,
                                                              bool zero_allowed);

// A whole number in [low, high] as given to --redial.
[[nodiscard]] Parsed<unsigned> parse_count(std::string_view option, std::string_view text, unsigned low,
                                           unsigned high);

}  // namespace dialkit::cli
