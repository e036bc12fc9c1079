// Event lines for people; see output.hpp.
#include "output.hpp"

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace dialkit::cli {

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
}  // namespace

void set_json_messages(bool on) noexcept { json_mode = on; }
bool json_messages() noexcept { return json_mode; }

void note(std::string_view text) {
  if (json_mode) {
    std::cerr << nlohmann::json{{"note", std::string(text)}}.dump() << '\n' << std::flush;
    return;
  }
  std::cerr << "dialkit: " << text << '\n' << std::flush;
}

void error_message(std::string_view text, ExitCode exit_code, const Error* error) {
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
