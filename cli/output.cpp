// Event lines for people; see output.hpp.
#include "output.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace dialkit::cli {

namespace {

// Code points a terminal draws over two columns (Unicode East Asian Wide and Fullwidth, the
// blocks that matter for names) or none (combining marks, zero-width characters).
bool is_wide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) || (c >= 0x3041 && c <= 0x33FF) ||
         (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
         (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
         (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
         (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
}

bool is_zero_width(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) ||
         (c >= 0x200B && c <= 0x200F) || (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE00 && c <= 0xFE0F) ||
         (c >= 0xFE20 && c <= 0xFE2F);
}

}  // namespace

namespace {

// One code point of UTF-8 `text` at `i`: its length in bytes and its columns on a terminal (a
// byte that is not valid UTF-8 is one column long and wide).
struct Glyph {
  std::size_t length = 1;
  std::size_t columns = 1;
};

Glyph glyph_at(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  const std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  bool valid = length != 0 && i + length <= text.size();
  char32_t c = length == 1 ? lead : length == 0 ? 0 : static_cast<char32_t>(lead & (0x7F >> length));
  for (std::size_t k = 1; valid && k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    valid = (next & 0xC0) == 0x80;
    c = (c << 6) | (next & 0x3F);
  }
  if (!valid) return {};
  return {length, is_zero_width(c) ? 0U : is_wide(c) ? 2U : 1U};
}

}  // namespace

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    const Glyph g = glyph_at(text, i);
    width += g.columns;
    i += g.length;
  }
  return width;
}

std::string fit_width(std::string_view text, std::size_t columns) {
  std::size_t width = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const Glyph g = glyph_at(text, i);
    if (width + g.columns > columns) break;
    width += g.columns;
    i += g.length;
  }
  // Marks that combine with the last character kept stay with it.
  while (i < text.size() && glyph_at(text, i).columns == 0) i += glyph_at(text, i).length;
  return std::string(text.substr(0, i));
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - display_width(row[i]) + 2, ' ');
    }
    out += line + '\n';
  }
  return out;
}

std::string format_event(const Event& e, Clock::time_point origin, EventLineOptions options) {
  const double seconds = std::chrono::duration<double>(e.time - origin).count();
  std::ostringstream line;
  line << '+' << std::fixed << std::setprecision(3) << std::setw(8) << seconds << "s  ";
  if (options.show_connection) {
    // The id `dialkit status` and `hangup` use; a number only for a backend that gives none.
    if (e.live_id.empty())
      line << '#' << e.connection;
    else
      line << e.live_id;
    line << ' ' << e.backend << ':' << e.entry << "  ";
  }
  line << std::left << std::setw(24) << state_name(e.state) << ' ' << std::setw(8)
       << group_name(e.group()) << ' ' << display_text(e.state);
  line << "  [native " << e.native_code;
  if (!e.native_name.empty()) line << ' ' << e.native_name;
  line << ']';
  if (e.attempt > 1) line << "  (attempt " << e.attempt << ')';
  if (e.subentry) line << "  (link " << *e.subentry << ')';
  if (e.error) line << "  error: " << e.error->message();
  if (!e.reason.empty()) line << "  reason: " << e.reason;
  return line.str();
}

namespace {
bool json_mode = false;
void (*before_message)() = nullptr;
}  // namespace

void set_json_messages(bool on) noexcept { json_mode = on; }
bool json_messages() noexcept { return json_mode; }
void set_before_message(void (*hook)()) noexcept { before_message = hook; }

void note(std::string_view text) {
  if (before_message != nullptr) before_message();
  if (json_mode) {
    std::cerr << nlohmann::json{{"note", std::string(text)}}.dump() << '\n' << std::flush;
    return;
  }
  std::cerr << "dialkit: " << text << '\n' << std::flush;
}

void error_message(std::string_view text, ExitCode exit_code, const Error* error) {
  if (before_message != nullptr) before_message();
  if (json_mode) {
    nlohmann::json e{{"message", std::string(text)}, {"exit_code", to_int(exit_code)}};
    if (error != nullptr) {
      e["code"] = std::string(error->name());
      e["class"] = std::string(error_class_name(error->error_class()));
      e["native_code"] = error->native_code ? nlohmann::json(*error->native_code) : nlohmann::json(nullptr);
    }
    std::cerr << nlohmann::json{{"error", e}}.dump() << '\n' << std::flush;
    return;
  }
  std::cerr << "dialkit: " << text << '\n' << std::flush;
}

}  // namespace dialkit::cli
