// Trace replay ("trace:PATH" entries) and the cross-process registry (registry_dir).
#include "mock_harness.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dialkit/trace.hpp>

using namespace mock_test;
using Catch::Matchers::Contains;
using dialkit::Errc;
namespace fs = std::filesystem;
namespace mock = dialkit::mock;

namespace {

// A fresh directory under the temporary directory, removed at the end of the test.
struct TempDir {
  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("dialkit-mock-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  fs::path path;
};

// Everything a replay must reproduce, with time relative to the connection's first event.
struct Seen {
  State state;
  std::optional<State> previous;
  std::uint64_t seq;
  std::int64_t native_code;
  std::string native_name;
  std::optional<dialkit::Error> error;
  std::string reason;
  std::optional<std::uint32_t> subentry;
  long long t_ms;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> seen(const std::vector<dialkit::Event>& events) {
  std::vector<Seen> out;
  for (const auto& e : events)
    out.push_back(Seen{e.state, e.previous, e.seq, e.native_code, e.native_name, e.error, e.reason,
                       e.subentry,
                       std::chrono::duration_cast<std::chrono::milliseconds>(e.time - events.front().time)
                           .count()});
  return out;
}

std::string describe(const std::vector<Seen>& v) {
  std::ostringstream out;
  for (const auto& s : v)
    out << s.seq << ":" << dialkit::state_name(s.state) << "@" << s.t_ms << "[" << s.native_code << " "
        << s.native_name << "]" << (s.error ? " err=" + std::string(s.error->name()) : "")
        << (s.reason.empty() ? "" : " reason=" + s.reason)
        << (s.subentry ? " sub=" + std::to_string(*s.subentry) : "") << "\n";
  return out.str();
}

// Dials `entry`, recording a trace file, driving pauses (wrong input first, then the right
// one) and hanging up `hangup_after` after the last step if given.
std::vector<dialkit::Event> record(const std::string& entry, const fs::path& file,
                                   std::optional<std::chrono::milliseconds> hangup_after = {}) {
  Harness h;
  std::ofstream out(file);
  dialkit::TraceRecorder recorder(out);
  dialkit::DialOptions o;
  o.handle_paused_states = true;
  auto c = h.dial(entry, o, [&](const dialkit::Event& e) { recorder(e); });
  bool wrong_given = false;
  for (;;) {
    h.scheduler->run_until_idle();
    if (!h.last_state() || !dialkit::is_paused(*h.last_state())) break;
    h.scheduler->advance(1234ms);  // someone thinks before typing
    if (!wrong_given && *h.last_state() == State::retry_authentication) {
      wrong_given = true;
      REQUIRE(c.resume(dialkit::Credentials{"u", dialkit::Secret("bad"), {}}).has_value());
    } else {
      REQUIRE(c.resume(*right_input(*h.last_state())).has_value());
    }
  }
  if (hangup_after) {
    h.scheduler->advance(*hangup_after);
    REQUIRE(c.hangup().has_value());
  }
  h.scheduler->run_until_idle();
  return h.events;
}

}  // namespace

TEST_CASE("mock trace: a recorded dial replays as the identical event sequence", "[mock][integration][trace]") {
  struct Case {
    std::string entry;
    std::optional<std::chrono::milliseconds> hangup_after;
  };
  // Each recording ends as its dial did (`disconnected`); one cut short is tested below.
  for (const auto& k : {Case{"multilink", std::chrono::milliseconds{1000}}, Case{"busy", std::nullopt},
                        Case{"peer-drop", std::nullopt}, Case{"slow-vpn", std::chrono::milliseconds{1000}},
                        Case{"wrong-password", std::chrono::milliseconds{1000}},
                        Case{"callback", std::chrono::milliseconds{1000}},
                        Case{"success", std::chrono::milliseconds{2500}}}) {
    INFO(k.entry);
    TempDir dir("trace");
    const auto file = dir.path / (k.entry + ".jsonl");
    const auto original = record(k.entry, file, k.hangup_after);
    REQUIRE(original.size() >= 4);

    Harness replay;
    dialkit::DialOptions o;
    o.handle_paused_states = true;  // the recording handled them; the replay goes on by itself
    auto c = replay.dial("trace:" + file.string(), o);
    replay.scheduler->run_until_idle();
    const auto want = seen(original);
    const auto got = seen(replay.events);
    INFO("recorded:\n" << describe(want) << "replayed:\n" << describe(got));
    CHECK(got == want);
    CHECK(replay.diagnostics.empty());
    CHECK(original.back().state == State::disconnected);
    CHECK(c.ended());
  }
}

TEST_CASE("mock trace: a trace that cannot be read or replayed is refused at dial()", "[mock][integration][trace]") {
  TempDir dir("badtrace");
  Harness h;
  const auto missing = h.dialer().dial("trace:" + (dir.path / "missing.jsonl").string());
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == Errc::malformed_input);
  CHECK_THAT(missing.error().detail, Contains("missing.jsonl"));

  const auto garbage = dir.path / "garbage.jsonl";
  std::ofstream(garbage) << "hello\n";
  const auto bad = h.dialer().dial("trace:" + garbage.string());
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == Errc::malformed_input);
  CHECK_THAT(bad.error().detail, Contains("garbage.jsonl"));
}

TEST_CASE("mock trace: a truncated trace replays what it holds and ends where the file ends",
          "[mock][integration][trace]") {
  TempDir dir("cuttrace");
  // A recording of a dial that stays connected: the recorder never saw `disconnected`.
  const auto file = dir.path / "cut.jsonl";
  const auto original = record("success", file, std::nullopt);
  REQUIRE(original.back().state == State::connected);
  REQUIRE(original.size() >= 3);
  std::string text;
  {
    std::ifstream in(file);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto mid = dir.path / "mid.jsonl";
  std::ofstream(mid) << text.substr(0, text.size() - 20);  // cut inside its last event
  const auto line_of_last = std::to_string(original.size() + 1);  // after the header line
  struct Case {
    fs::path path;
    std::size_t held;  // the events the file holds
    std::string why;
  };
  for (const auto& k : {Case{file, original.size(), ":" + std::to_string(original.size() + 2) +
                                                        ": the trace ends with `connected`"},
                        Case{mid, original.size() - 1, ":" + line_of_last + ": the last line is cut short"}}) {
    INFO(k.path);
    Harness h;
    dialkit::DialOptions o;
    o.handle_paused_states = true;
    auto c = h.dial("trace:" + k.path.string(), o);
    h.scheduler->run_until_idle();
    const std::vector<dialkit::Event> held(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(k.held));
    const auto want = seen(held);
    auto got = seen(h.events);
    INFO("recorded:\n" << describe(want) << "replayed:\n" << describe(got));
    // Every event the file holds, at its recorded time, and then one more: the end.
    REQUIRE(got.size() == want.size() + 1);
    const Seen end = got.back();
    got.pop_back();
    CHECK(got == want);
    CHECK(end.state == State::disconnected);
    CHECK(end.previous == want.back().state);
    CHECK(end.t_ms == want.back().t_ms);  // no invented delay: it ends where the file ends
    REQUIRE(end.error.has_value());
    CHECK(end.error->code == Errc::malformed_input);
    CHECK_THAT(end.error->detail,
               Contains("the trace is truncated") && Contains(k.path.string() + k.why) &&
                   Contains(std::to_string(k.held) + " events were replayed"));
    CHECK(c.ended());
    CHECK(h.diagnostics.empty());
    CHECK(h.scheduler->pending() == 0);
  }
}

TEST_CASE("mock trace: scenario_from_trace keeps what the events say", "[mock][trace]") {
  dialkit::Trace t;
  t.backend = "ras";
  t.entry = "Office";
  auto ev = [](std::uint64_t seq, State s, std::int64_t t_ms, std::int64_t code, const char* name) {
    dialkit::TraceEvent te;
    te.event.seq = seq;
    te.event.state = s;
    te.event.native_code = code;
    te.event.native_name = name;
    te.t_ms = t_ms;
    return te;
  };
  t.events.push_back(ev(1, State::opening_port, 0, 0, "RASCS_OpenPort"));
  t.events.push_back(ev(2, State::retry_authentication, 40, 4097, "RASCS_RetryAuthentication"));
  t.events.push_back(ev(2, State::retry_authentication, 40, 4097, "RASCS_RetryAuthentication"));  // a replayed copy
  t.events.push_back(ev(3, State::authenticating, 5040, 5, "RASCS_Authenticate"));
  auto last = ev(4, State::disconnected, 5100, 8193, "RASCS_Disconnected");
  last.event.error = dialkit::Error{Errc::authentication_failed, 691, "ERROR_AUTHENTICATION_FAILURE", {}};
  last.event.reason = "why";
  t.events.push_back(last);
  const auto s = mock::scenario_from_trace(t);
  REQUIRE(s.has_value());
  CHECK(s->name == "Office");
  REQUIRE(s->steps.size() == 4);
  CHECK(s->steps[1].delay == 40ms);
  REQUIRE(s->steps[1].pause.has_value());
  CHECK(s->steps[1].pause->auto_resume);
  CHECK(s->steps[2].delay == 5000ms);
  CHECK(s->steps[2].native_name == "RASCS_Authenticate");
  CHECK(s->steps[3].error->native_code == 691);
  CHECK(s->steps[3].reason == "why");

  t.events.push_back(ev(5, State::opening_port, 5200, 0, "again"));
  const auto bad = mock::scenario_from_trace(t);
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error().detail, Contains("steps[4]"));
}

TEST_CASE("mock trace: scenario_from_trace ends a truncated trace at its last event, adding nothing else",
          "[mock][trace]") {
  auto ev = [](std::uint64_t seq, State s, std::int64_t t_ms) {
    dialkit::TraceEvent te;
    te.event.seq = seq;
    te.event.state = s;
    te.t_ms = t_ms;
    return te;
  };
  dialkit::Trace t;
  t.entry = "Office";
  t.events.push_back(ev(1, State::opening_port, 0));
  t.events.push_back(ev(2, State::retry_authentication, 40));
  t.truncated = "cut.jsonl:3: the trace ends with `retry_authentication` at +40 ms, not with `disconnected`";
  // Stopped in a pause: the pause is replayed, and the end follows it at once.
  const auto paused = mock::scenario_from_trace(t);
  REQUIRE(paused.has_value());
  REQUIRE(paused->steps.size() == 3);
  CHECK(paused->steps[1].pause.has_value());
  const auto& end = paused->steps[2];
  CHECK(end.state == State::disconnected);
  CHECK(end.delay == 0ms);
  REQUIRE(end.error.has_value());
  CHECK(end.error->code == Errc::malformed_input);
  CHECK(end.error->detail == "the trace is truncated: " + t.truncated + "; its 2 events were replayed and the replay ends here");

  // A file cut inside a line after its `disconnected` already ends the life: nothing is added.
  t.events.push_back(ev(3, State::disconnected, 90));
  t.truncated = "cut.jsonl:5: the last line is cut short (the file ends inside an event)";
  const auto ended = mock::scenario_from_trace(t);
  REQUIRE(ended.has_value());
  REQUIRE(ended->steps.size() == 3);
  CHECK(ended->steps[2].state == State::disconnected);
  CHECK(ended->steps[2].delay == 50ms);
  CHECK_FALSE(ended->steps[2].error.has_value());
}

// ---------------------------------------------------------------------------------------
// Registry

namespace {

std::map<std::string, std::string> registry_options(const TempDir& dir) {
  return {{"registry_dir", dir.path.string()}};
}

long dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return static_cast<long>(child);
}

void write_record(const fs::path& dir, long pid, int connection, const std::string& state) {
  const auto id = std::to_string(pid) + "-" + std::to_string(connection);
  std::ofstream(dir / (id + ".json"))
      << R"({"id": ")" << id << R"(", "pid": )" << pid << R"(, "connection": )" << connection
      << R"(, "entry": "elsewhere", "state": ")" << state
      << R"(", "native_code": 7, "native_name": "X", "device": "modem"})";
}

}  // namespace

TEST_CASE("mock registry: a live session is published, listed and withdrawn", "[mock][integration][registry]") {
  TempDir dir("registry");
  Harness h(registry_options(dir));
  auto c = h.dial("success");
  h.scheduler->advance(3000ms);  // authenticated by now
  const auto id = std::to_string(::getpid()) + "-" + std::to_string(c.id());
  REQUIRE(fs::exists(dir.path / (id + ".json")));
  {
    std::ifstream in(dir.path / (id + ".json"));
    std::stringstream text;
    text << in.rdbuf();
    CHECK_THAT(text.str(), Contains(R"("state":"authenticating")"));
    CHECK_THAT(text.str(), Contains(R"("native_name":"RASCS_Authenticate")"));
  }
  auto live = h.dialer().connections();
  REQUIRE(live.has_value());
  REQUIRE(live->size() == 1);
  CHECK(live->front().id == id);
  CHECK(live->front().entry == "success");
  CHECK(live->front().state == State::authenticating);
  CHECK(live->front().started_here);
  CHECK(live->front().device == "Standard 56000 bps V90 Modem");

  REQUIRE(c.hangup().has_value());
  CHECK_FALSE(fs::exists(dir.path / (id + ".json")));
  live = h.dialer().connections();
  REQUIRE(live.has_value());
  CHECK(live->empty());
  // No poll task is left behind once no session lives.
  h.scheduler->advance(200ms);
  CHECK(h.scheduler->pending() == 0);
}

TEST_CASE("mock registry: a hang-up request file ends the session as another process asked", "[mock][integration][registry]") {
  TempDir dir("request");
  Harness h(registry_options(dir));
  auto c = h.dial("success");
  h.scheduler->advance(5s);
  REQUIRE(h.last_state() == State::connected);
  const auto id = std::to_string(::getpid()) + "-" + std::to_string(c.id());
  std::ofstream(dir.path / (id + ".hangup")) << "1\n";  // what hangup_live() in another process writes
  h.scheduler->advance(150ms);
  REQUIRE(h.events.size() >= 2);
  CHECK(h.events.end()[-2].state == State::disconnecting);
  CHECK(h.events.back().state == State::disconnected);
  CHECK(h.events.back().reason == "hang-up requested by another process");
  CHECK_FALSE(h.events.back().error.has_value());
  CHECK(c.ended());
  CHECK_FALSE(fs::exists(dir.path / (id + ".json")));
  CHECK_FALSE(fs::exists(dir.path / (id + ".hangup")));
  CHECK(h.diagnostics.empty());
}

TEST_CASE("mock registry: hangup_live of an own connection ends it at once", "[mock][integration][registry]") {
  TempDir dir("own");
  Harness h(registry_options(dir));
  auto c = h.dial("success");
  h.scheduler->advance(5s);
  const auto id = std::to_string(::getpid()) + "-" + std::to_string(c.id());
  REQUIRE(h.dialer().hangup(id).has_value());
  CHECK(h.events.back().state == State::disconnected);
  CHECK(h.events.back().reason == "hang-up requested by id");
  const auto unknown = h.dialer().hangup("1-999");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code == Errc::unknown_entry);
}

TEST_CASE("mock registry: files of dead processes are dropped", "[mock][integration][registry]") {
  TempDir dir("dead");
  const long dead = dead_pid();
  write_record(dir.path, dead, 5, "connected");
  Harness h(registry_options(dir));
  const auto live = h.dialer().connections();
  REQUIRE(live.has_value());
  CHECK(live->empty());
  CHECK_FALSE(fs::exists(dir.path / (std::to_string(dead) + "-5.json")));
}

TEST_CASE("mock registry: a malformed record is skipped and kept, and the others are listed", "[mock][integration][registry]") {
  TempDir dir("bad-record");
  const long other = static_cast<long>(::getppid());  // alive, and not us
  write_record(dir.path, other, 1, "connected");
  // Fields of the wrong type (nlohmann's value() threw type_error out of connections()), and
  // what was already skipped: not JSON, not an object, a missing or unknown state.
  const std::map<std::string, std::string> bad{
      {"2", R"({"pid": "abc", "entry": "x", "state": "connected"})"},
      {"3", R"({"pid": )" + std::to_string(other) + R"(, "entry": 5, "state": "connected"})"},
      {"4", R"({"pid": )" + std::to_string(other) + R"(, "entry": "x", "state": 3})"},
      {"5", R"({"pid": )" + std::to_string(other) + R"(, "entry": "x", "state": "connected", "device": []})"},
      {"6", R"({"pid": 1.5, "entry": "x", "state": "connected"})"},
      {"7", R"({"pid": 18446744073709551615, "entry": "x", "state": "connected"})"},
      {"8", R"({"entry": "x", "state": "connected"})"},
      {"9", "{not json"},
      {"10", "[1, 2]"},
      {"11", R"({"pid": )" + std::to_string(other) + R"(, "state": "conected"})"},
  };
  for (const auto& [connection, text] : bad)
    std::ofstream(dir.path / (std::to_string(other) + "-" + connection + ".json")) << text;
  Harness h(registry_options(dir));
  const auto live = h.dialer().connections();
  REQUIRE(live.has_value());
  REQUIRE(live->size() == 1);
  CHECK(live->front().id == std::to_string(other) + "-1");
  CHECK(live->front().entry == "elsewhere");
  CHECK(live->front().state == State::connected);
  CHECK(live->front().device == "modem");
  CHECK_FALSE(live->front().started_here);
  for (const auto& [connection, text] : bad) {
    const auto id = std::to_string(other) + "-" + connection;
    INFO(id << ": " << text);
    // Not live: hanging it up is refused as an unknown id, and its file is left as it was.
    const auto hangup = h.dialer().hangup(id);
    REQUIRE_FALSE(hangup.has_value());
    CHECK(hangup.error().code == Errc::unknown_entry);
    CHECK(fs::exists(dir.path / (id + ".json")));
    CHECK_FALSE(fs::exists(dir.path / (id + ".hangup")));
  }
}

// What a dialling process appends to its log (backends/mock/README.md, "The event log").
void write_log_header(const fs::path& dir, long pid, int connection) {
  const auto id = std::to_string(pid) + "-" + std::to_string(connection);
  std::ofstream(dir / (id + ".log")) << R"({"dialkit_mock_log":1,"id":")" << id << R"(","pid":)" << pid
                                     << R"(,"entry":"elsewhere"})" << '\n';
}

void append_log(const fs::path& dir, long pid, int connection, const std::string& text) {
  std::ofstream(dir / (std::to_string(pid) + "-" + std::to_string(connection) + ".log"), std::ios::app) << text;
}

std::string log_event(std::uint64_t seq, const std::string& state, std::int64_t native,
                      const std::string& extra = {}) {
  return R"({"connection":3,"backend":"mock","entry":"elsewhere","seq":)" + std::to_string(seq) +
         R"(,"state":")" + state + R"(","previous":null,"native_code":)" + std::to_string(native) +
         R"(,"native_name":"N)" + std::to_string(native) + R"(","error":null,"time":1.5)" + extra + "}\n";
}

TEST_CASE("mock registry: watch reports every event another process logged, in order", "[mock][integration][registry]") {
  TempDir dir("watch");
  const long other = static_cast<long>(::getppid());  // alive, and not us
  write_log_header(dir.path, other, 3);
  append_log(dir.path, other, 3, log_event(1, "opening_port", 0));
  Harness h(registry_options(dir));
  auto own = h.dial("success");  // our own connection is not watched
  std::vector<dialkit::Event> watched;
  auto watch = h.dialer().watch([&](const dialkit::Event& e) { watched.push_back(e); });
  REQUIRE(watch.has_value());
  // Several events between two looks, one cut before its newline: all complete ones, in order.
  append_log(dir.path, other, 3,
             log_event(2, "port_opened", 1) + log_event(3, "connecting_device", 2) +
                 log_event(4, "authenticating", 7) + R"({"connection":3,"state":"auth)");
  h.scheduler->advance(50ms);
  REQUIRE(watched.size() == 4);
  CHECK(watched[0].state == State::opening_port);  // a live log is followed from its start
  CHECK(watched[3].state == State::authenticating);
  CHECK(watched[3].native_code == 7);
  CHECK(watched[3].native_name == "N7");
  CHECK(watched[3].entry == "elsewhere");
  CHECK(watched[3].live_id == std::to_string(other) + "-3");

  // The cut line completes; a damaged line is skipped and the next still counts.
  append_log(dir.path, other, 3, std::string("enticated\"}\n") + "{not json\n" +
                                    log_event(6, "disconnected", 8193,
                                              R"(,"reason":"gone","error":{"code":"line_busy","native_code":676})"));
  h.scheduler->advance(50ms);
  REQUIRE(watched.size() == 5);
  CHECK(watched[4].state == State::disconnected);
  REQUIRE(watched[4].error.has_value());
  CHECK(watched[4].error->code == Errc::line_busy);
  CHECK(watched[4].error->native_code == 676);
  CHECK(watched[4].connection == watched[0].connection);

  h.scheduler->advance(6s);  // our own dial connects meanwhile; still nothing for the watch
  CHECK(watched.size() == 5);
  watch->stop();
}

TEST_CASE("mock registry: a watch skips a log with a malformed header and follows the others", "[mock][integration][registry]") {
  TempDir dir("bad-header");
  const long other = static_cast<long>(::getppid());  // alive, and not us
  // Headers without "pid" or "entry" (nlohmann asserted on operator[] of a const object), with
  // them of the wrong type, and not JSON at all; each followed by an event that must not show.
  const std::vector<std::string> headers{
      R"({"dialkit_mock_log":1})",
      R"({"dialkit_mock_log":1,"pid":)" + std::to_string(other) + "}",
      R"({"dialkit_mock_log":1,"entry":"x"})",
      R"({"dialkit_mock_log":1,"pid":"abc","entry":"x"})",
      R"({"dialkit_mock_log":1,"pid":)" + std::to_string(other) + R"(,"entry":7})",
      R"({"pid":)" + std::to_string(other) + R"(,"entry":"x"})",
      "[1]",
      "{not json",
  };
  auto write_bad = [&](int first) {
    for (std::size_t i = 0; i < headers.size(); ++i) {
      const int connection = first + static_cast<int>(i);
      std::ofstream(dir.path / (std::to_string(other) + "-" + std::to_string(connection) + ".log"))
          << headers[i] << '\n';
      append_log(dir.path, other, connection, log_event(1, "opening_port", 0));
    }
  };
  write_bad(10);  // there when the watch starts
  write_log_header(dir.path, other, 3);
  append_log(dir.path, other, 3, log_event(1, "opening_port", 0));
  Harness h(registry_options(dir));
  std::vector<dialkit::Event> watched;
  auto watch = h.dialer().watch([&](const dialkit::Event& e) { watched.push_back(e); });
  REQUIRE(watch.has_value());
  write_bad(20);  // and new ones after it started
  append_log(dir.path, other, 3, log_event(2, "port_opened", 1));
  h.scheduler->advance(100ms);
  REQUIRE(watched.size() == 2);
  CHECK(watched[0].state == State::opening_port);
  CHECK(watched[1].state == State::port_opened);
  for (const auto& e : watched) {
    CHECK(e.live_id == std::to_string(other) + "-3");
    CHECK(e.entry == "elsewhere");
  }
  watch->stop();
}

TEST_CASE("mock registry: a watch ends a connection whose dialling process died", "[mock][integration][registry]") {
  TempDir dir("dead-writer");
  const long dead = dead_pid();
  const long other = static_cast<long>(::getppid());
  // Ended before the watch started: history, not reported.
  write_log_header(dir.path, other, 1);
  append_log(dir.path, other, 1, log_event(1, "opening_port", 0) + log_event(2, "disconnected", 8193));
  Harness h(registry_options(dir));
  std::vector<dialkit::Event> watched;
  auto watch = h.dialer().watch([&](const dialkit::Event& e) { watched.push_back(e); });
  REQUIRE(watch.has_value());
  // Appears after the watch started, from a writer that died mid-line.
  write_log_header(dir.path, dead, 9);
  append_log(dir.path, dead, 9, log_event(1, "opening_port", 0) + R"({"connection":9,"sta)");
  h.scheduler->advance(50ms);
  REQUIRE(watched.size() == 2);
  CHECK(watched[0].state == State::opening_port);
  CHECK(watched[1].state == State::disconnected);
  CHECK_THAT(watched[1].reason, Contains("ended without hanging up"));
  h.scheduler->advance(1s);
  CHECK(watched.size() == 2);
  watch->stop();
}

TEST_CASE("mock registry: a dial's log holds its events, bounded, and ends with its end", "[mock][integration][registry]") {
  TempDir dir("log");
  Harness h(registry_options(dir));
  auto c = h.dial("busy");
  h.scheduler->advance(10s);
  REQUIRE(c.ended());
  const auto id = std::to_string(::getpid()) + "-" + std::to_string(c.id());
  CHECK(c.status().device.native_id == id);
  std::ifstream in(dir.path / (id + ".log"));
  REQUIRE(in);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == h.events.size() + 1);  // the header, then each event
  CHECK_THAT(lines[0], Contains(R"("dialkit_mock_log":1)"));
  for (std::size_t i = 0; i < h.events.size(); ++i) {
    auto parsed = dialkit::event_from_json(lines[i + 1]);
    REQUIRE(parsed.has_value());
    CHECK(parsed->event.state == h.events[i].state);
    CHECK(parsed->event.native_code == h.events[i].native_code);
    CHECK(parsed->event.error == h.events[i].error);
    CHECK(parsed->event.live_id == id);
  }
}

TEST_CASE("mock registry: without registry_dir, watch is not supported and live lists own dials", "[mock][integration][registry]") {
  Harness h;
  auto c = h.dial("success");
  h.scheduler->advance(5s);
  const auto live = h.dialer().connections();
  REQUIRE(live.has_value());
  REQUIRE(live->size() == 1);
  CHECK(live->front().state == State::connected);
  CHECK(live->front().started_here);
  const auto w = h.dialer().watch([](const dialkit::Event&) {});
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error().code == Errc::not_supported);
}

namespace {

// The child process: dials `success` with the registry on, keeps its virtual clock moving with
// real time, and exits 0 once another process hung it up, 1 on anything else, 2 on timeout.
int child_main(const fs::path& dir) {
  Harness h({{"registry_dir", dir.string()}});
  auto c = h.dial("success");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    h.scheduler->advance(20ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (h.last_state() == State::disconnected) {
      const auto& e = h.events;
      const bool ok = e.size() >= 2 && e.end()[-2].state == State::disconnecting &&
                      e.back().reason == "hang-up requested by another process";
      return ok ? 0 : 1;
    }
  }
  return 2;
}

}  // namespace

TEST_CASE("mock registry: another process lists, watches and hangs up a child's dial", "[mock][integration][registry]") {
  TempDir dir("process");
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Never return into Catch in the child: a failed REQUIRE throws.
    int code = 3;
    try {
      code = child_main(dir.path);
    } catch (...) {
    }
    ::_exit(code);
  }

  Harness h(registry_options(dir));
  std::vector<dialkit::Event> watched;
  auto watch = h.dialer().watch([&](const dialkit::Event& e) { watched.push_back(e); });
  REQUIRE(watch.has_value());

  // Wait (in real time) until the child is connected.
  std::optional<dialkit::LiveConnection> theirs;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline && !theirs) {
    h.scheduler->advance(100ms);
    const auto live = h.dialer().connections();
    REQUIRE(live.has_value());
    for (const auto& l : *live)
      if (l.state == State::connected) theirs = l;
    if (!theirs) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!theirs) ::kill(child, SIGKILL);
  REQUIRE(theirs.has_value());
  CHECK_FALSE(theirs->started_here);
  CHECK(theirs->entry == "success");
  CHECK(theirs->id.starts_with(std::to_string(child) + "-"));

  // The watch polls the registry every 100 ms: let one poll see the child connected before
  // hanging it up (connections() above read the directory directly).
  h.scheduler->advance(100ms);
  REQUIRE(h.dialer().hangup(theirs->id).has_value());
  int status = 0;
  const auto wait_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  pid_t done = 0;
  while (done == 0 && std::chrono::steady_clock::now() < wait_deadline) {
    done = ::waitpid(child, &status, WNOHANG);
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (done == 0) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
  }
  REQUIRE(done == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  h.scheduler->advance(200ms);
  REQUIRE(watched.size() >= 2);
  CHECK(watched.back().state == State::disconnected);
  bool saw_connected = false;
  for (const auto& e : watched) saw_connected = saw_connected || e.state == State::connected;
  CHECK(saw_connected);
  const auto live = h.dialer().connections();
  REQUIRE(live.has_value());
  CHECK(live->empty());
}
