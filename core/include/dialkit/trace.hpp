/// @file
/// JSON Lines traces: any connection's events, one JSON object per line, written by
/// TraceRecorder and read back by read_trace() (the mock replays them). The same object is the
/// CLI's --json output. Times are milliseconds since the connection's first event.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <dialkit/event.hpp>

namespace dialkit {

/// The version of the trace format (the header line says it).
inline constexpr int trace_format_version = 1;

/// One event as a JSON object on one line (no newline). `t_ms` is the time since `origin`.
[[nodiscard]] std::string event_to_json(const Event& event, Clock::time_point origin);

/// One event read back from a trace.
struct TraceEvent {
  Event event;          ///< time is origin-relative: Clock::time_point{} + t_ms
  std::int64_t t_ms = 0;  ///<milliseconds since the connection's first event
};

/// Parses one line written by event_to_json.
[[nodiscard]] Result<TraceEvent> event_from_json(std::string_view line);

/// A whole trace: one connection's events.
struct Trace {
  std::string backend;  ///<the backend that produced it
  std::string entry;  ///<the entry dialled
  std::vector<TraceEvent> events;  ///<the events, in sequence order
};

/// Reads a whole trace: a header line, then events of one connection in sequence order.
/// Errors name the file and line.
[[nodiscard]] Result<Trace> read_trace(const std::filesystem::path& file);
/// Parses a whole trace from text; `source_name` names it in errors.
[[nodiscard]] Result<Trace> parse_trace(std::string_view text, std::string_view source_name);

/// Subscribe it (it is an EventSlot) to record one or more connections; thread-safe.
class TraceRecorder {
 public:
  explicit TraceRecorder(std::ostream& out);  ///<writes to `out`, which must outlive the recorder
  void operator()(const Event& event);  ///<writes one event (the EventSlot call)

 private:
  std::ostream* out_;
  std::mutex mutex_;
  std::unordered_map<ConnectionId, Clock::time_point> origins_;
};

}  // namespace dialkit
