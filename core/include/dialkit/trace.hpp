/// @file
/// JSON Lines traces: any connection's events, one JSON object per line, written by
/// TraceRecorder and read back by read_trace() (the mock replays them). The same object is the
/// CLI's --json output. Times are milliseconds since the connection's first event.
#pragma once

#include <cstddef>
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

/// Limits on what read_trace() and parse_trace() take, so that a hostile or broken file costs
/// little time and memory: the whole trace (16 MiB: tens of thousands of events), one line
/// (64 KiB; an event is a few hundred bytes) and the nesting of JSON arrays and objects in a
/// line (8; an event needs 2). Beyond them the trace is refused with Errc::malformed_input
/// naming the file, the line and the limit.
inline constexpr std::size_t max_trace_bytes = std::size_t{16} << 20;
inline constexpr std::size_t max_trace_line_bytes = std::size_t{64} << 10;  ///<see max_trace_bytes
inline constexpr int max_trace_depth = 8;  ///<see max_trace_bytes

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
  /// Empty when the trace ends as a dial ends (`disconnected`). Otherwise the recording was cut
  /// short (its recorder was killed, the file was cut) and this says where, for people: the
  /// events are the ones the file holds, and nothing is made up for the rest. The mock replays
  /// such a trace as far as it goes and ends it there (disconnected, Errc::malformed_input).
  std::string truncated;
};

/// Reads a whole trace: a header line, then events of one connection in sequence order. A last
/// line cut short (no newline, and the JSON ends early) is left out and marks the trace
/// truncated. Errors name the file and line.
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
