// The CLI on inputs it cannot honour or that are broken: dial options the backend cannot
// honour are refused before anything is dialled, and a truncated trace is replayed as far as it
// goes and ends where the file ends, saying so, instead of replaying an end nobody recorded.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"

using dialkit::test::Environment;
using dialkit::test::Outcome;
using dialkit::test::TempDir;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// cli/README.md's table, restated on purpose.
constexpr int exit_usage = 2;
constexpr int exit_backend = 9;

struct Fixture {
  TempDir registry;
  Environment env{{"DIALKIT_MOCK_REGISTRY", registry.path().string()},
                  {"DIALKIT_PLUGIN_PATH", DIALKIT_TEST_PLUGIN_DIR}};

  Outcome run(const std::vector<std::string>& args, std::chrono::milliseconds limit = 30s) const {
    return dialkit::test::run(DIALKIT_CLI_BINARY, args, env, {}, limit);
  }
};

std::string describe(const Outcome& o) {
  return "exit " + std::to_string(o.code) + (o.timed_out ? " (timed out)" : "") + "\n--- stdout ---\n" + o.out +
         "--- stderr ---\n" + o.err;
}

}  // namespace

TEST_CASE("dial: an option the mock scenario cannot honour exits 9 naming it, before anything is dialled",
          "[cli]") {
  Fixture f;
  const auto o = f.run({"dial", "success", "--backend", "mock", "--callback", "555-0199", "--json"});
  INFO(describe(o));
  CHECK(o.code == exit_backend);
  CHECK(o.err.find("callback number (--callback)") != std::string::npos);
  CHECK(o.err.find("\"success\"") != std::string::npos);
  CHECK(o.out.find("opening_port") == std::string::npos);  // no event: nothing was dialled
}

TEST_CASE("replay: a truncated trace plays what it holds and ends where it ends, in virtual and in real time",
          "[cli]") {
  Fixture f;
  // A recording whose recorder was killed while connected: it ends after a whole line.
  const auto trace = f.registry.path() / "cut.jsonl";
  {
    std::ofstream out(trace);
    out << R"({"dialkit_trace":1})" << '\n'
        << R"({"connection":1,"backend":"mock","entry":"success","seq":1,"state":"opening_port","previous":null,)"
        << R"("native_code":0,"native_name":"RASCS_OpenPort","error":null,"reason":"","time":0.0})" << '\n'
        << R"({"connection":1,"backend":"mock","entry":"success","seq":2,"state":"connected",)"
        << R"("previous":"opening_port","native_code":8192,"native_name":"RASCS_Connected","error":null,)"
        << R"("reason":"","time":600.0})" << '\n';
  }
  for (const bool real_time : {false, true}) {
    std::vector<std::string> args{"replay", trace.string(), "--json"};
    if (real_time) args.push_back("--real-time");
    const auto o = f.run(args, 20s);
    INFO(describe(o));
    CHECK_FALSE(o.timed_out);
    CHECK(o.code == exit_usage);  // malformed input
    // Both recorded events, then the end at the time of the last one: no made-up hang-up.
    std::vector<json> events;
    std::istringstream lines(o.out);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) events.push_back(json::parse(line));
    REQUIRE(events.size() == 3);
    CHECK(events[0]["state"] == "opening_port");
    CHECK(events[1]["state"] == "connected");
    CHECK(events[2]["state"] == "disconnected");
    CHECK(events[2]["previous"] == "connected");
    // In real time the clock runs on between the events; only the gaps are the recorded ones.
    const double t1 = events[1]["time"].get<double>() - events[0]["time"].get<double>();
    const double t2 = events[2]["time"].get<double>() - events[0]["time"].get<double>();
    if (real_time) {
      CHECK(t1 >= 600.0);
      CHECK(t2 - t1 < 500.0);
    } else {
      CHECK(t1 == 600.0);
      CHECK(t2 == 600.0);
    }
    REQUIRE(events[2]["error"].is_object());
    CHECK(events[2]["error"]["code"] == "malformed_input");
    const auto detail = events[2]["error"]["detail"].get<std::string>();
    CHECK(detail.find("the trace is truncated") != std::string::npos);
    CHECK(detail.find("cut.jsonl:4") != std::string::npos);
    CHECK(o.err.find("truncated") != std::string::npos);
  }
}
