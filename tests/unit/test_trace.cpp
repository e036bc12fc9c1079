// The JSON event object and JSON Lines traces: round trip, and clear errors on bad input.
#include <catch2/catch.hpp>

#include <sstream>

#include <dialkit/trace.hpp>

using namespace dialkit;

namespace {
Event sample(std::uint64_t seq, State s, std::optional<State> prev, int ms) {
  Event e;
  e.connection = 7;
  e.backend = "pppd";
  e.entry = "isp";
  e.seq = seq;
  e.state = s;
  e.previous = prev;
  e.time = Clock::time_point{} + std::chrono::milliseconds(ms);
  e.native_code = static_cast<std::int64_t>(seq) * 2;
  e.native_name = "PHASE_X";
  return e;
}
}  // namespace

TEST_CASE("an event survives JSON and back", "[trace]") {
  Event e = sample(3, State::disconnected, State::authenticating, 1500);
  Error err;
  err.code = Errc::authentication_failed;
  err.native_code = 19;
  err.native_text = "EXIT_AUTH_TOPEER_FAILED";
  err.detail = "wrong password";
  e.error = err;
  e.reason = "because";
  e.subentry = 2;
  e.attempt = 2;
  const auto line = event_to_json(e, Clock::time_point{} + std::chrono::milliseconds(500));
  CHECK(line.find("\"state\":\"disconnected\"") != std::string::npos);
  CHECK(line.find("\"group\":\"terminal\"") != std::string::npos);
  auto back = event_from_json(line);
  REQUIRE(back);
  const Event& b = back->event;
  CHECK(back->t_ms == 1000);
  CHECK(b.connection == 7);
  CHECK(b.seq == 3);
  CHECK(b.state == State::disconnected);
  CHECK(b.previous == State::authenticating);
  CHECK(b.native_code == 6);
  CHECK(b.native_name == "PHASE_X");
  REQUIRE(b.error);
  CHECK(*b.error == err);
  CHECK(b.reason == "because");
  CHECK(b.subentry == 2u);
  CHECK(b.attempt == 2);
}

TEST_CASE("a recorded trace reads back", "[trace]") {
  std::ostringstream out;
  TraceRecorder rec(out);
  rec(sample(1, State::opening_port, std::nullopt, 100));
  rec(sample(2, State::connected, State::opening_port, 350));
  auto trace = parse_trace(out.str(), "mem");
  REQUIRE(trace);
  CHECK(trace->backend == "pppd");
  CHECK(trace->entry == "isp");
  REQUIRE(trace->events.size() == 2);
  CHECK(trace->events[0].t_ms == 0);
  CHECK(trace->events[1].t_ms == 250);
}

TEST_CASE("bad traces are refused with the line and the reason", "[trace]") {
  const std::string header = "{\"dialkit_trace\":1}\n";
  const auto good1 = event_to_json(sample(1, State::opening_port, std::nullopt, 0), {});
  const auto good2 = event_to_json(sample(2, State::connected, State::opening_port, 10), {});
  struct Case {
    std::string text;
    std::string expect;
  };
  auto other_conn = sample(2, State::connected, State::opening_port, 10);
  other_conn.connection = 8;
  const Case cases[] = {
      {"", "empty trace"},
      {good1 + "\n", "not a dialkit trace"},
      {"{\"dialkit_trace\":2}\n" + good1, "unsupported trace format version"},
      // 2^32 + 1: once read as an int, it wrapped to 1 and passed for version 1.
      {"{\"dialkit_trace\":4294967297}\n" + good1, "unsupported trace format version"},
      {header, "no events"},
      {header + good1 + "\n{not json\n", "t:3: not a JSON object"},
      {header + good1 + "\n" + good1 + "\n", "t:3: sequence number 1 is not after 1"},
      {header + good1 + "\n" + event_to_json(other_conn, {}) + "\n", "a second connection"},
      {header + "{\"connection\":1}\n", "missing field \"backend\""},
      {header + R"({"connection":1,"backend":"b","entry":"e","seq":1,"state":"flying","previous":null,"native_code":0,"native_name":"","error":null,"time":0})",
       "unknown state \"flying\""},
      {header + R"({"connection":1,"backend":"b","entry":"e","seq":1,"state":"connected","previous":null,"native_code":"x","native_name":"","error":null,"time":0})",
       "\"native_code\" has the wrong type"},
      {header + R"({"connection":1,"backend":"b","entry":"e","seq":1,"state":"connected","previous":null,"native_code":0,"native_name":"","error":{"code":"oops"},"time":0})",
       "unknown error code \"oops\""},
      // 2^32 + 1: once cut to 32 bits, it became subentry 1.
      {header + R"({"connection":1,"backend":"b","entry":"e","seq":1,"state":"subentry_connected","previous":null,"native_code":0,"native_name":"","error":null,"subentry":4294967297,"time":0})",
       "\"subentry\" is out of range"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto t = parse_trace(c.text, "t");
    REQUIRE_FALSE(t);
    CHECK(t.error().code == Errc::malformed_input);
    CHECK_THAT(t.error().detail, Catch::Contains(c.expect));
  }
  auto ok = parse_trace(header + good1 + "\n\n" + good2 + "\n", "t");
  CHECK(ok);
}

TEST_CASE("a recorder subscribed twice writes each event once", "[trace]") {
  std::ostringstream out;
  TraceRecorder rec(out);
  auto first = sample(1, State::opening_port, std::nullopt, 0);
  rec(first);
  auto copy = first;
  copy.replayed = true;  // what a second, current-state-first subscription gets
  rec(copy);
  rec(sample(2, State::connected, State::opening_port, 5));
  auto trace = parse_trace(out.str(), "mem");
  REQUIRE(trace);
  CHECK(trace->events.size() == 2);
}

TEST_CASE("a trace cut at a line end keeps its events and says it is truncated", "[trace]") {
  const std::string header = "{\"dialkit_trace\":1}\n";
  const auto up = event_to_json(sample(1, State::opening_port, std::nullopt, 0), {});
  const auto connected = event_to_json(sample(2, State::connected, State::opening_port, 600), {});
  auto end = sample(3, State::disconnected, State::connected, 900);
  const auto ended = event_to_json(end, {});

  auto whole = parse_trace(header + up + "\n" + connected + "\n" + ended + "\n", "t");
  REQUIRE(whole);
  CHECK(whole->truncated.empty());

  // The recorder was killed while connected: the file ends after a whole line.
  auto cut = parse_trace(header + up + "\n" + connected + "\n", "t");
  REQUIRE(cut);
  CHECK(cut->events.size() == 2);  // what the file holds, nothing made up
  CHECK(cut->truncated == "t:4: the trace ends with `connected` at +600 ms, not with `disconnected`");

  // The file was cut inside the last event: that line is left out.
  auto mid = parse_trace(header + up + "\n" + connected + "\n" + ended.substr(0, ended.size() / 2), "t");
  REQUIRE(mid);
  CHECK(mid->events.size() == 2);
  CHECK(mid->truncated == "t:4: the last line is cut short (the file ends inside an event)");

  // A bad last line that is not merely cut short is still an error.
  auto bad = parse_trace(header + up + "\n" + connected + "}", "t");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().detail, Catch::Contains("t:3: not a JSON object"));
}

TEST_CASE("traces past the size, line and depth limits are refused, naming the limit", "[trace]") {
  const std::string header = "{\"dialkit_trace\":1}\n";
  const auto up = event_to_json(sample(1, State::opening_port, std::nullopt, 0), {});
  SECTION("size") {
    std::string text = header + up + "\n";
    text.resize(max_trace_bytes + 1, '\n');
    auto t = parse_trace(text, "t");
    REQUIRE_FALSE(t);
    CHECK(t.error().code == Errc::malformed_input);
    CHECK_THAT(t.error().detail, Catch::StartsWith("t: 16777217 bytes; a trace may hold at most 16777216 bytes") &&
                                     Catch::Contains("max_trace_bytes"));
  }
  SECTION("line") {
    auto long_reason = sample(1, State::opening_port, std::nullopt, 0);
    long_reason.reason = std::string(max_trace_line_bytes, 'r');
    auto t = parse_trace(header + event_to_json(long_reason, {}) + "\n", "t");
    REQUIRE_FALSE(t);
    CHECK_THAT(t.error().detail, Catch::StartsWith("t:2: the line is ") &&
                                     Catch::Contains("a trace line may hold at most 65536 bytes") &&
                                     Catch::Contains("max_trace_line_bytes"));
  }
  SECTION("depth") {
    for (const auto& text : {header + std::string(60000, '[') + "\n", "{\"dialkit_trace\":" + std::string(60000, '[') + "\n",
                             header + up + "\n" + std::string(9, '[') + std::string(9, ']') + "\n"}) {
      auto t = parse_trace(text, "t");
      REQUIRE_FALSE(t);
      CHECK_THAT(t.error().detail, Catch::Contains("JSON nested deeper than 8 levels (dialkit::max_trace_depth"));
    }
    CHECK_FALSE(event_from_json(std::string(9, '[') + std::string(9, ']')));
  }
}
