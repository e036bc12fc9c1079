// UTF-8 <-> UTF-16 and handle ids; see text.hpp.
#include "text.hpp"

#include <bit>
#include <charconv>
#include <cstdint>
#include <cstdio>

namespace dialkit::ras {
namespace {

void append_utf8(std::string& out, char32_t c) {
  // The lead byte by the number of continuation bytes, which carry 6 bits each.
  constexpr char32_t lead[] = {0x00, 0xC0, 0xE0, 0xF0};
  const int extra = c < 0x80 ? 0 : c < 0x800 ? 1 : c < 0x10000 ? 2 : 3;
  out += static_cast<char>(lead[extra] | (c >> (6 * extra)));
  for (int k = extra - 1; k >= 0; --k) out += static_cast<char>(0x80 | ((c >> (6 * k)) & 0x3F));
}

}  // namespace

Wide to_wide(std::string_view utf8) {
  Wide out;
  out.reserve(utf8.size());
  std::size_t i = 0;
  while (i < utf8.size()) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    // Its leading one bits: none for ASCII, 2 to 4 for the lead byte of a sequence that long.
    const int ones = std::countl_one(lead);
    bool ok = ones == 0 || (ones >= 2 && ones <= 4);
    std::size_t extra = ok && ones > 0 ? static_cast<std::size_t>(ones - 1) : 0;
    char32_t c = lead & (0x7Fu >> ones);
    for (std::size_t k = 1; ok && k <= extra; ++k) {
      if (i + k >= utf8.size() || (static_cast<unsigned char>(utf8[i + k]) & 0xC0) != 0x80) {
        ok = false;
        extra = k - 1;
        break;
      }
      c = (c << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3Fu);
    }
    if (!ok || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
    i += 1 + extra;
    if (c >= 0x10000) {
      c -= 0x10000;
      out += static_cast<WideChar>(0xD800 + (c >> 10));
      out += static_cast<WideChar>(0xDC00 + (c & 0x3FF));
    } else {
      out += static_cast<WideChar>(c);
    }
  }
  return out;
}

std::string to_utf8(const WideChar* text, std::size_t max_chars) {
  std::string out;
  for (std::size_t i = 0; i < max_chars && text[i] != 0; ++i) {
    char32_t c = static_cast<char16_t>(text[i]);
    const char32_t next = i + 1 < max_chars ? static_cast<char16_t>(text[i + 1]) : 0;
    if (c >= 0xD800 && c <= 0xDBFF && next >= 0xDC00 && next <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (next - 0xDC00);
      ++i;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    append_utf8(out, c);
  }
  return out;
}

std::string handle_id(HRASCONN handle) {
  char text[40];
  std::snprintf(text, sizeof text, "ras-0x%llx",
                static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(handle)));
  return text;
}

std::optional<HRASCONN> handle_from_id(std::string_view id) {
  constexpr std::string_view prefix = "ras-0x";
  if (!id.starts_with(prefix) || id.size() == prefix.size()) return std::nullopt;
  std::uintptr_t value = 0;
  const char* first = id.data() + prefix.size();
  const char* last = id.data() + id.size();
  const auto [end, ec] = std::from_chars(first, last, value, 16);
  if (ec != std::errc{} || end != last || value == 0) return std::nullopt;
  return reinterpret_cast<HRASCONN>(value);
}

}  // namespace dialkit::ras
