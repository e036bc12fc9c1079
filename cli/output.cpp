// Event lines for people; see output.hpp.
#include "output.hpp"

#include <cstdio>
#include <iomanip>
#include <sstream>

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

}  // namespace dialkit::cli
