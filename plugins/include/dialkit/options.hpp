/// @file
/// Backend options of the plugin kit: a time given in milliseconds (pppd's `kill_timeout_ms`,
/// RAS's `poll_ms`, the template's `step_ms`), read one way by every backend from
/// BackendContext::options (RuntimeOptions::backend_options[name]).
#pragma once

#include <charconv>
#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <system_error>

#include <dialkit/error.hpp>

namespace dialkit::plugin {

/// The longest time an option of milliseconds takes: an hour.
inline constexpr std::chrono::milliseconds max_milliseconds_option{3'600'000};

/// `text`, the value of `backend`'s option `key`, as milliseconds: a whole number from 0 to
/// max_milliseconds_option, or Errc::invalid_argument naming the backend, the option and the
/// value.
[[nodiscard]] inline Result<std::chrono::milliseconds> milliseconds_option(std::string_view backend,
                                                                           std::string_view key,
                                                                           std::string_view text) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0 || value > max_milliseconds_option.count())
    return fail(make_error(Errc::invalid_argument,
                           std::string(backend) + " option " + std::string(key) + "=\"" + std::string(text) +
                               "\": expected milliseconds 0.." + std::to_string(max_milliseconds_option.count())));
  return std::chrono::milliseconds(value);
}

/// The option `key` of `options` as milliseconds (see above), or `fallback` when it is not set.
[[nodiscard]] inline Result<std::chrono::milliseconds> milliseconds_option(
    const std::map<std::string, std::string>& options, std::string_view backend, const std::string& key,
    std::chrono::milliseconds fallback) {
  const auto it = options.find(key);
  if (it == options.end()) return fallback;
  return milliseconds_option(backend, key, it->second);
}

}  // namespace dialkit::plugin
