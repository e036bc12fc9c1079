// Text for the W entry points: UTF-8 <-> UTF-16, RAS's fixed-size text fields, and connection
// handles as live-connection ids.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "win32.hpp"

namespace dialkit::ras {

using Wide = std::basic_string<WideChar>;

// UTF-8 <-> UTF-16 (invalid UTF-8 becomes U+FFFD; so does a lone surrogate).
[[nodiscard]] Wide to_wide(std::string_view utf8);
[[nodiscard]] std::string to_utf8(const WideChar* text, std::size_t max_chars);

// Copies `from` into a fixed RAS field with its terminator; false (and nothing copied) when it
// does not fit.
template <std::size_t N>
bool copy_text(WideChar (&to)[N], const Wide& from) {
  if (from.size() >= N) return false;
  std::copy(from.begin(), from.end(), to);
  to[from.size()] = 0;
  return true;
}

// A fixed RAS field as UTF-8 (up to its terminator).
template <std::size_t N>
std::string text_of(const WideChar (&from)[N]) {
  return to_utf8(from, N);
}

// "ras-0x1a2b": a connection handle as a live-connection id, and back.
[[nodiscard]] std::string handle_id(HRASCONN handle);
[[nodiscard]] std::optional<HRASCONN> handle_from_id(std::string_view id);

}  // namespace dialkit::ras
