// The plugin kit's pieces, tested once here (every backend uses them): mapping rows with notes
// and clean ends, the Markdown generator, the report gate, the watch diff and polling loop, the
// search-path rule and make_error with native values.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <dialkit/factory.hpp>
#include <dialkit/mapping.hpp>
#include <dialkit/options.hpp>
#include <dialkit/polling_watch.hpp>
#include <dialkit/report_gate.hpp>
#include <dialkit/search_path.hpp>
#include <dialkit/shared_session.hpp>

using namespace dialkit;
using namespace std::chrono_literals;

namespace {

constexpr std::array<plugin::NativeMapping<int>, 3> states{{
    {0, "UNKNOWN", std::nullopt, "the daemon cannot tell"},
    {5, "AUTH", State::authenticating},
    {0x2000, "DONE", State::connected, "a | in a note"},
}};

constexpr std::array<plugin::NativeErrorMapping<int>, 3> ends{{
    {0, "OK", Errc::unknown, "ended normally", plugin::NativeEnd::clean},
    {7, "BUSY", Errc::line_busy},
    {9, "USER", Errc::cancelled, "a client stopped it", plugin::NativeEnd::clean_if_connected},
}};

}  // namespace

TEST_CASE("a known native value with no state maps to the fallback, marked unreported", "[kit][mapping]") {
  const auto unknown = plugin::map_state(states, 0, State::opening_port);
  CHECK(unknown.known);
  CHECK_FALSE(unknown.reported);
  CHECK(unknown.state == State::opening_port);
  CHECK(unknown.name == "UNKNOWN");
  const auto auth = plugin::map_state(states, 5, State::opening_port);
  CHECK(auth.reported);
  CHECK(auth.state == State::authenticating);
  const auto missing = plugin::map_state(states, 6, State::disconnecting);
  CHECK_FALSE(missing.known);
  CHECK_FALSE(missing.reported);
}

TEST_CASE("end_error tells clean ends from failures, and deliberate ends by whether it connected", "[kit][mapping]") {
  CHECK_FALSE(plugin::end_error(ends, 0, false));
  CHECK_FALSE(plugin::end_error(ends, 0, true));
  const auto busy = plugin::end_error(ends, 7, true, "line 2");
  REQUIRE(busy);
  CHECK(busy->code == Errc::line_busy);
  CHECK(busy->native_code == 7);
  CHECK(busy->native_text == "BUSY");
  CHECK(busy->detail == "line 2");
  CHECK_FALSE(plugin::end_error(ends, 9, true));
  const auto early = plugin::end_error(ends, 9, false);
  REQUIRE(early);
  CHECK(early->code == Errc::cancelled);
  const auto odd = plugin::end_error(ends, 42, true);
  REQUIRE(odd);
  CHECK(odd->code == Errc::unknown);
  CHECK(odd->native_code == 42);
}

TEST_CASE("the Markdown generator prints notes, unreported rows, hex values and clean ends", "[kit][mapping]") {
  CHECK(plugin::mapping_markdown(states, {.value_header = "value", .name_header = "STATE", .hex_from = 0x1000}) ==
        "| value | STATE | shared state | group | note |\n|---|---|---|---|---|\n"
        "| 0 | UNKNOWN | (not reported) |  | the daemon cannot tell |\n"
        "| 5 | AUTH | authenticating | running |  |\n"
        "| 0x2000 | DONE | connected | terminal | a \\| in a note |\n");
  CHECK(plugin::error_markdown(ends) ==
        "| native | name | error | note |\n|---|---|---|---|\n"
        "| 0 | OK | none (clean end) | ended normally |\n"
        "| 7 | BUSY | line_busy |  |\n"
        "| 9 | USER | cancelled; none once connected | a client stopped it |\n");
  constexpr std::array<plugin::NativeErrorMapping<int>, 5> many{{
      {601, "A", Errc::system_error}, {608, "B", Errc::system_error}, {609, "C", Errc::system_error},
      {610, "D", Errc::system_error}, {676, "E", Errc::line_busy}}};
  CHECK(plugin::errors_by_code_markdown(many, "RAS codes") ==
        "| Errc | RAS codes |\n|---|---|\n| `line_busy` | 676 |\n| `system_error` | 601, 608\u2013610 |\n");
}

TEST_CASE("make_error keeps the native code and text beside the portable code", "[kit][error]") {
  const Error e = make_error(Errc::line_busy, 676, "ERROR_LINE_BUSY", "port 2");
  CHECK(e.code == Errc::line_busy);
  CHECK(e.native_code == 676);
  CHECK(e.native_text == "ERROR_LINE_BUSY");
  CHECK(e.detail == "port 2");
  CHECK(e.message().find("ERROR_LINE_BUSY") != std::string::npos);
}

namespace {

class InfoFactory final : public plugin::Factory {
 public:
  explicit InfoFactory(plugin::FactoryInfo info) : Factory(info) {}
  Result<std::unique_ptr<Backend>> create(const BackendContext&) override {
    return fail(make_error(Errc::not_supported, "not in this test"));
  }
};

// A dial's shared state as a backend keeps it: counts what the session forwards.
struct CountingDial {
  std::vector<std::string> calls;
  Result<void> resume(const ResumeInput&) {
    calls.emplace_back("resume");
    return {};
  }
  void hangup() { calls.emplace_back("hangup"); }
  SessionStatus status() const {
    SessionStatus s;
    s.native_id = "dial-1";
    return s;
  }
  void drop() { calls.emplace_back("drop"); }
};

}  // namespace

TEST_CASE("a kit factory says what its FactoryInfo says, and a probe finds nothing missing", "[kit][factory]") {
  const auto caps = Capabilities{}.with(DialOption::credentials).with_hangup_by_id();
  const InfoFactory real({.name = "real", .description = "a real one", .capabilities = caps});
  CHECK(real.name() == "real");
  CHECK(real.description() == "a real one");
  CHECK(real.capabilities() == caps);
  CHECK_FALSE(real.is_fake());
  CHECK(real.probe().has_value());
  const InfoFactory fake({.name = "fake", .description = "", .capabilities = {}, .fake = true});
  CHECK(fake.is_fake());
  CHECK(fake.capabilities() == Capabilities{});
}

TEST_CASE("a shared session forwards to its dial and drops it once, when destroyed", "[kit][session]") {
  auto dial = std::make_shared<CountingDial>();
  {
    std::unique_ptr<Session> session = std::make_unique<plugin::SharedSession<CountingDial>>(dial);
    CHECK(session->resume(Credentials{}).has_value());
    session->hangup();
    CHECK(session->status().native_id == "dial-1");
    CHECK(dial->calls == std::vector<std::string>{"resume", "hangup"});
  }
  CHECK(dial->calls == std::vector<std::string>{"resume", "hangup", "drop"});
  CHECK(dial.use_count() == 1);  // the session let go of it
}

namespace {

// A dial with a thread of its own: run() throws when told to.
struct ThreadedDial {
  bool throws = false;
  std::atomic<bool> ran{false}, abandoned{false};
  void run() {
    ran = true;
    if (throws) throw std::runtime_error("lost the line");
  }
  void abandon() { abandoned = true; }
};

}  // namespace

TEST_CASE("a dial's thread runs the dial, and one that throws abandons it before core is told", "[kit][session]") {
  for (const bool throws : {false, true}) {
    auto dial = std::make_shared<ThreadedDial>();
    dial->throws = throws;
    std::mutex mutex;
    std::vector<std::string> failures;
    {
      BackendThread thread = plugin::start_dial_thread(
          dial,
          [&](const std::string& what) {
            std::lock_guard lock(mutex);
            failures.push_back(what + (dial->abandoned ? " (abandoned first)" : ""));
          },
          "the acme dial thread");
      thread.join();
    }
    CHECK(dial->ran);
    CHECK(dial->abandoned == throws);
    CHECK(dial.use_count() == 1);  // the thread let go of it
    if (throws)
      CHECK(failures == std::vector<std::string>{"the acme dial thread threw: lost the line (abandoned first)"});
    else
      CHECK(failures.empty());
  }
}

TEST_CASE("a milliseconds option is a whole number up to an hour, or an error naming it", "[kit][options]") {
  const std::map<std::string, std::string> options{{"poll_ms", "250"}, {"bad_ms", "12x"}, {"long_ms", "3600001"}};
  CHECK(plugin::milliseconds_option(options, "acme", "poll_ms", 1s) == std::chrono::milliseconds(250));
  CHECK(plugin::milliseconds_option(options, "acme", "unset_ms", 1s) == std::chrono::milliseconds(1000));
  CHECK(plugin::milliseconds_option("acme", "x_ms", "0") == std::chrono::milliseconds(0));
  CHECK(plugin::milliseconds_option("acme", "x_ms", "3600000") == std::chrono::milliseconds(3'600'000));
  for (const char* key : {"bad_ms", "long_ms"}) {
    const auto read = plugin::milliseconds_option(options, "acme", key, 1s);
    REQUIRE_FALSE(read);
    CHECK(read.error().code == Errc::invalid_argument);
    CHECK(read.error().detail.find(std::string("acme option ") + key + "=\"") != std::string::npos);
  }
  for (const char* text : {"", "-1", " 5", "5 ", "1e3"}) CHECK_FALSE(plugin::milliseconds_option("acme", "x_ms", text));
}

TEST_CASE("a closed report gate lets nothing through and waits for a report on another thread", "[kit][gate]") {
  plugin::ReportGate gate;
  std::promise<void> inside;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> reported{false};
  std::thread reporter([&] {
    plugin::ReportGate::Pass pass(gate);
    REQUIRE(pass);
    inside.set_value();
    released.wait();
    reported = true;
  });
  inside.get_future().wait();
  CHECK(gate.close_without_waiting());  // a report is running on the other thread
  std::thread closer([&] {
    gate.close();
    CHECK(reported.load());  // close() returned only after the report finished
  });
  release.set_value();
  closer.join();
  reporter.join();
  CHECK(gate.is_closed());
  plugin::ReportGate::Pass late(gate);
  CHECK_FALSE(late);
}

TEST_CASE("close() from inside a report on the same thread does not wait for itself", "[kit][gate]") {
  plugin::ReportGate gate;
  plugin::ReportGate::Pass pass(gate);
  REQUIRE(pass);
  gate.close();  // would deadlock if it waited for its own thread
  CHECK_FALSE(gate.close_without_waiting());
  CHECK(gate.is_closed());
}

TEST_CASE("a detached backend thread ends by itself after its owner is gone", "[kit][thread]") {
  // An owner destroyed on its own thread cannot join it (the pppd session dropped from a slot).
  auto start = std::make_shared<std::promise<void>>();
  auto ended = std::make_shared<std::promise<void>>();
  auto ended_future = ended->get_future();
  {
    BackendThread thread({}, "the test's thread", [go = start->get_future().share(), ended] {
      go.wait();
      ended->set_value();
    });
    thread.detach();
    CHECK_FALSE(thread.joinable());
  }  // destroyed without a join, and without std::terminate
  start->set_value();
  CHECK(ended_future.wait_for(10s) == std::future_status::ready);
}

namespace {

struct Recorded {
  std::string id;
  std::string entry;
  State state;
  std::int64_t code;
};

class RecordingSink final : public WatchSink {
 public:
  void report(const std::string& id, const std::string& entry, NativeReport report) override {
    std::lock_guard lock(mutex);
    seen.push_back({id, entry, report.state, report.native_code});
    cv.notify_all();
  }
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<Recorded> seen;
};

plugin::ObservedConnection observed(std::string id, State state, std::int64_t code) {
  NativeReport r;
  r.state = state;
  r.native_code = code;
  return {std::move(id), "entry-" + std::to_string(code), r};
}

NativeReport vanished(const plugin::ObservedConnection&) {
  NativeReport r;
  r.state = State::disconnected;
  r.native_code = -1;
  r.native_name = "GONE";
  return r;
}

}  // namespace

TEST_CASE("the watch diff reports new, changed and vanished connections once each", "[kit][watch]") {
  RecordingSink sink;
  plugin::WatchDiff diff(vanished);
  diff.update({observed("a", State::authenticating, 5), observed("b", State::connected, 8)}, sink);
  diff.update({observed("a", State::authenticating, 5), observed("b", State::connected, 8)}, sink);  // nothing new
  diff.update({observed("a", State::connected, 8)}, sink);  // a changed, b vanished
  diff.update({observed("a", State::disconnected, 9)}, sink);  // a ended while still listed
  diff.update({}, sink);  // a gone after its disconnected: not reported twice
  REQUIRE(sink.seen.size() == 5);
  CHECK((sink.seen[0].id == "a" && sink.seen[0].state == State::authenticating));
  CHECK((sink.seen[1].id == "b" && sink.seen[1].state == State::connected));
  CHECK((sink.seen[2].id == "a" && sink.seen[2].state == State::connected));
  CHECK((sink.seen[3].id == "b" && sink.seen[3].state == State::disconnected && sink.seen[3].code == -1));
  CHECK(sink.seen[3].entry == "entry-8");
  CHECK((sink.seen[4].id == "a" && sink.seen[4].state == State::disconnected && sink.seen[4].code == 9));
}

TEST_CASE("a polling watch scans again on wake(), retries a failed scan and stops when destroyed", "[kit][watch]") {
  auto sink = std::make_shared<RecordingSink>();
  std::atomic<int> scans{0};
  std::atomic<bool> up{false};
  auto scan = [&]() -> Result<std::vector<plugin::ObservedConnection>> {
    const int n = ++scans;
    if (n == 1) return fail(make_error(Errc::system_error, "the platform did not answer"));
    if (up) return std::vector{observed("x", State::connected, 8)};
    return std::vector<plugin::ObservedConnection>{};
  };
  {
    // An hour's interval: only wake() can make the second and third scans happen in time.
    plugin::PollingWatch watch(sink, scan, {.interval = std::chrono::hours(1), .vanished = vanished});
    watch.wake();
    {
      std::unique_lock lock(sink->mutex);
      CHECK_FALSE(sink->cv.wait_for(lock, 50ms, [&] { return !sink->seen.empty(); }));
    }
    up = true;
    watch.wake();
    std::unique_lock lock(sink->mutex);
    REQUIRE(sink->cv.wait_for(lock, 10s, [&] { return !sink->seen.empty(); }));
    CHECK(sink->seen.front().id == "x");
  }
  const int after = scans.load();
  CHECK(after >= 3);
  std::this_thread::sleep_for(20ms);
  CHECK(scans.load() == after);  // destroyed: no scan any more
}

TEST_CASE("a BackendThread destroyed from its own body lets the thread end on its own", "[kit][thread]") {
  std::promise<void> assigned;
  const auto assigned_future = assigned.get_future().share();
  std::promise<void> done;
  auto done_future = done.get_future();
  std::unique_ptr<BackendThread> owner;
  owner = std::make_unique<BackendThread>(BackendFailure{}, "the self-destroying thread", [&] {
    assigned_future.wait();
    owner.reset();  // a subscriber on this thread dropped the session that owns it
    done.set_value();
  });
  assigned.set_value();
  REQUIRE(done_future.wait_for(10s) == std::future_status::ready);
  CHECK_FALSE(owner);
}

TEST_CASE("search paths split at one separator and skip empty elements", "[kit][search_path]") {
  const std::string sep(1, search_path_separator);
  const auto dirs = split_search_path(sep + "/a" + sep + sep + "/b c" + sep);
  REQUIRE(dirs.size() == 2);
  CHECK(dirs[0] == "/a");
  CHECK(dirs[1] == "/b c");
  CHECK(split_search_path("").empty());
  ::setenv("DIALKIT_KIT_TEST_PATH", "", 1);
  CHECK_FALSE(environment_value("DIALKIT_KIT_TEST_PATH"));
  ::setenv("DIALKIT_KIT_TEST_PATH", ("/x" + sep + "/y").c_str(), 1);
  CHECK(environment_search_path("DIALKIT_KIT_TEST_PATH").size() == 2);
  ::unsetenv("DIALKIT_KIT_TEST_PATH");
  CHECK(environment_search_path("DIALKIT_KIT_TEST_PATH").empty());
}
