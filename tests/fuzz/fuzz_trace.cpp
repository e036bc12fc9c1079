// Fuzzes the JSON Lines trace reader, dialkit::parse_trace (trace files given to `dialkit
// replay` and the mock), and the event object reader behind it: every event of a trace that
// parses, written again with event_to_json, must read back to the same event.
#include <cstddef>
#include <cstdint>

#include <dialkit/trace.hpp>

#include "fuzz_support.hpp"

namespace {

bool same(const dialkit::Event& a, const dialkit::Event& b) {
  return a.connection == b.connection && a.backend == b.backend && a.entry == b.entry && a.seq == b.seq &&
         a.state == b.state && a.previous == b.previous && a.time == b.time && a.native_code == b.native_code &&
         a.native_name == b.native_name && a.error == b.error && a.reason == b.reason &&
         a.subentry == b.subentry && a.attempt == b.attempt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using dialkit::fuzz::require;
  const auto trace = dialkit::parse_trace(dialkit::fuzz::as_text(data, size), "fuzz.jsonl");
  if (!trace) {
    require(trace.error().code == dialkit::Errc::malformed_input, "a refused trace is malformed_input");
    return 0;
  }
  require(!trace->events.empty(), "a parsed trace has events");
  require(size <= dialkit::max_trace_bytes, "text over max_trace_bytes is refused");
  require(!trace->truncated.empty() || trace->events.back().event.state == dialkit::State::disconnected,
          "a trace that does not end with disconnected says it is truncated");
  const dialkit::Event* previous = nullptr;
  for (const auto& te : trace->events) {
    const auto& e = te.event;
    require(e.seq >= 1, "sequence numbers start at 1");
    require(e.connection == trace->events.front().event.connection, "one connection per trace");
    if (previous) {
      require(e.seq > previous->seq, "sequence numbers increase");
      require(e.time >= previous->time, "time does not go backwards");
    }
    previous = &e;
    const auto line = dialkit::event_to_json(e, dialkit::Clock::time_point{});
    const auto back = dialkit::event_from_json(line);
    require(back.has_value(), "event_to_json's output reads back");
    require(same(back->event, e), "an event survives event_to_json and event_from_json unchanged");
    require(back->t_ms == te.t_ms, "the event's time in ms survives the round trip");
  }
  return 0;
}
