// How the CLI shows events to people: one line per event, with the time since `origin`, the
// state's machine name and group, its display text, the native code and name, and the error
// or the reason. (--json output is dialkit::event_to_json, unchanged.)
#pragma once

#include <string>

#include <dialkit/event.hpp>

namespace dialkit::cli {

struct EventLineOptions {
  // Watch shows events of many connections; a dial shows one.
  bool show_connection = false;
};

[[nodiscard]] std::string format_event(const Event& event, Clock::time_point origin,
                                       EventLineOptions options = {});

}  // namespace dialkit::cli
