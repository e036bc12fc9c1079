// The CLI on inputs it cannot honour or that are broken: dial options the backend cannot
// honour are refused before anything is dialled (a backend lists what it honours in
// `dialkit backends --json`), and a truncated trace is replayed as far as it goes and ends
// where the file ends, saying so, instead of replaying an end nobody recorded.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skip.hpp"
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
  const auto o = f.run({"dial", "success", "--backend", "mock", "--callback", "555-0199"});
  INFO(describe(o));
  CHECK(o.code == exit_backend);
  CHECK(o.err.find("callback number (--callback)") != std::string::npos);
  CHECK(o.err.find("\"success\"") != std::string::npos);
  CHECK(o.out.find("opening_port") == std::string::npos);  // no event: nothing was dialled
}

TEST_CASE("dial: an option the backend does not declare exits 9 naming it and the backend, before the backend is "
          "probed",
          "[cli][capabilities]") {
  Fixture f;
  struct Case {
    const char* backend;
    std::vector<std::string> option;
    const char* flag;
    const char* name;
  };
  // pppd and NetworkManager declare neither a phone nor a callback number. The check comes
  // before the probe, so neither pppd nor a NetworkManager needs to be here, and nothing runs.
  std::vector<Case> cases;
#if defined(DIALKIT_TEST_HAS_pppd)
  cases.push_back({"pppd", {"--callback", "123"}, "--callback", "callback_number"});
  cases.push_back({"pppd", {"--phone", "0800-123"}, "--phone", "phone_number"});
#endif
#if defined(DIALKIT_TEST_HAS_networkmanager)
  cases.push_back({"networkmanager", {"--callback", "123"}, "--callback", "callback_number"});
  cases.push_back({"networkmanager", {"--phone", "0800-123"}, "--phone", "phone_number"});
#endif
  if (cases.empty()) {
    DIALKIT_SKIP("neither the pppd nor the NetworkManager backend is built here");
    return;
  }
  for (const auto& k : cases) {
    std::vector<std::string> args{"dial", "some-peer", "--backend", k.backend};
    args.insert(args.end(), k.option.begin(), k.option.end());
    const auto o = f.run(args);
    INFO(describe(o));
    CHECK(o.code == exit_backend);
    CHECK(o.err.find(k.flag) != std::string::npos);
    CHECK(o.err.find(k.name) != std::string::npos);
    CHECK(o.err.find(std::string("the ") + k.backend + " backend") != std::string::npos);
    CHECK(o.err.find("not_supported") != std::string::npos);
    CHECK(o.out.empty());  // no event: nothing was dialled
  }
}

TEST_CASE("backends --json lists every backend with its capabilities", "[cli][capabilities]") {
  Fixture f;
  const auto o = f.run({"backends", "--json"});
  INFO(describe(o));
  REQUIRE(o.code == 0);
  const json out = json::parse(o.out);
  REQUIRE(out["backends"].is_array());
  REQUIRE(out["refused"].is_array());
  std::map<std::string, json> caps;
  for (const auto& b : out["backends"]) {
    INFO(b.dump());
    REQUIRE(b["capabilities"].is_object());
    const auto& c = b["capabilities"];
    CHECK(c["dial_options"].is_array());
    CHECK(c["paused_states"].is_array());
    CHECK(c["connection_info"] == json::array());
    CHECK(c["phone_book"] == json::array());
    CHECK(c["watch"].is_string());
    CHECK(c["hangup_by_id"].is_boolean());
    CHECK(c["idle_disconnect"] == false);
    CHECK(b["usable"].is_boolean());
    caps[b["name"].get<std::string>()] = c;
  }
  // The backends this build tree has (DIALKIT_PLUGIN_PATH is its plugin directory).
  REQUIRE(caps.contains("mock"));
  CHECK(caps["mock"]["dial_options"] ==
        json::array({"credentials", "phone_number", "callback_number", "multilink", "eap"}));
  CHECK(caps["mock"]["paused_states"].size() == 5);
  CHECK(caps["mock"]["watch"] == "polling");
  CHECK(caps["mock"]["hangup_by_id"] == true);
  if (caps.contains("pppd")) {
    CHECK(caps["pppd"]["dial_options"] == json::array({"credentials"}));
    CHECK(caps["pppd"]["paused_states"] == json::array({"retry_authentication"}));
    CHECK(caps["pppd"]["watch"] == "polling");
  }
  if (caps.contains("networkmanager")) {
    CHECK(caps["networkmanager"]["dial_options"] == json::array({"credentials"}));
    CHECK(caps["networkmanager"]["watch"] == "events");
  }
  // The table for people carries a summary.
  const auto table = f.run({"backends"});
  INFO(describe(table));
  CHECK(table.code == 0);
  CHECK(table.out.find("capabilities: options: credentials, phone_number, callback_number") != std::string::npos);
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

TEST_CASE("command-line mistakes are named, with the nearest known word suggested, and exit 2", "[cli]") {
  Fixture f;
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases{
      {{}, "dialkit: no command given (one of: backends, entries, dial, hangup, status, watch, replay)"},
      {{"stauts"}, "dialkit: 'stauts' is not a dialkit command; did you mean 'status'?"},
      {{"--plugin-path", "/nonexistent", "dail", "success"}, "'dail' is not a dialkit command; did you mean 'dial'?"},
      {{"frobnicate"}, "'frobnicate' is not a dialkit command (commands: backends, entries, dial, hangup"},
      {{"dial", "success", "--timout", "3"}, "dialkit: dial: unknown option --timout; did you mean --timeout?"},
      {{"status", "--jsn"}, "dialkit: status: unknown option --jsn; did you mean --json?"},
      {{"dial", "success", "--no-such-thing"}, "dialkit: dial: unknown option --no-such-thing\n"},
      {{"dial", "success", "--timeout", "abc"}, "dialkit: --timeout: expected seconds > 0, got abc"},
      {{"dial", "success", "--timeout=-1"}, "dialkit: --timeout: expected seconds > 0, got -1"},
      {{"dial", "success", "--timeout", "0"}, "dialkit: --timeout: expected seconds > 0, got 0"},
      {{"dial", "success", "--timeout", "0.0001"}, "--timeout: 0.0001 seconds is below the 1 ms resolution"},
      {{"dial", "success", "--timeout", "1e400"}, "--timeout: expected seconds > 0, got 1e400"},
      {{"dial", "success", "--timeout", "9000000"}, "--timeout: expected at most 8640000 seconds (100 days)"},
      {{"dial", "success", "--hangup-after", "soon"}, "dialkit: --hangup-after: expected seconds >= 0, got soon"},
      {{"dial", "success", "--redial", "x"}, "dialkit: --redial: expected a whole number from 0 to 1000, got x"},
      {{"dial", "success", "--redial", "1001"}, "--redial: expected a whole number from 0 to 1000, got 1001"},
      {{"dial"}, "dialkit: dial: entry is required"},
  };
  for (const auto& c : cases) {
    std::string line;
    for (const auto& a : c.args) line += a + " ";
    SECTION("dialkit " + line) {
      const auto o = f.run(c.args);
      INFO(describe(o));
      CHECK(o.code == exit_usage);
      CHECK(o.err.find(c.says) != std::string::npos);
      CHECK(o.err.find("--help' for usage.") != std::string::npos);
      // The 309-digit range CLI11 printed for a double is gone, and nothing was dialled.
      CHECK(o.err.find("179769313486") == std::string::npos);
      CHECK(o.out.empty());
    }
  }
}

TEST_CASE("dialkit --version prints the project's version, and values at the edges are taken", "[cli]") {
  Fixture f;
  const auto version = f.run({"--version"});
  INFO(describe(version));
  CHECK(version.code == 0);
  CHECK(version.out == std::string("dialkit ") + DIALKIT_VERSION + "\n");

  // The smallest timeout there is (1 ms) is honoured, not rounded to nothing: the dial ends
  // with a timeout after its first event, and 0 seconds after connecting hangs up at once.
  const auto quick = f.run({"dial", "success", "--backend", "mock", "--timeout", "0.001", "--json"});
  INFO(describe(quick));
  CHECK(quick.code == 7);
  CHECK(quick.err.find("not connected within 1 ms") != std::string::npos);
  const auto at_once = f.run({"dial", "success", "--backend", "mock", "--hangup-after=0", "--redial", "0"});
  INFO(describe(at_once));
  CHECK(at_once.code == 0);
  CHECK(at_once.out.find("connected") != std::string::npos);
}

TEST_CASE("with --json, what the CLI says on stderr is one JSON object per line, errors with their codes", "[cli]") {
  Fixture f;
  const auto lines = [](const std::string& text) {
    std::vector<json> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      INFO(line);
      REQUIRE_NOTHROW(out.push_back(json::parse(line)));
    }
    return out;
  };
  SECTION("a failed dial") {
    const auto o = f.run({"dial", "busy", "--backend", "mock", "--json"});
    INFO(describe(o));
    CHECK(o.code == 4);
    const auto said = lines(o.err);
    REQUIRE_FALSE(said.empty());
    CHECK(said.front().contains("note"));
    const auto& e = said.back().at("error");
    CHECK(e.at("code") == "line_busy");
    CHECK(e.at("class") == "line");
    CHECK(e.at("exit_code") == 4);
    CHECK(e.at("native_code") == 676);
    CHECK(e.at("message").get<std::string>().find("dial busy failed") != std::string::npos);
  }
  SECTION("a usage error and an unknown entry") {
    const auto usage = f.run({"status", "--jsn", "--json"});
    INFO(describe(usage));
    CHECK(usage.code == exit_usage);
    const auto said = lines(usage.err);
    REQUIRE(said.size() == 1);
    CHECK(said[0].at("error").at("message") == "status: unknown option --jsn; did you mean --json?");
    const auto unknown = f.run({"dial", "no-such-scenario", "--backend", "mock", "--json"});
    INFO(describe(unknown));
    CHECK(unknown.code == exit_usage);
    const auto told = lines(unknown.err);
    REQUIRE_FALSE(told.empty());
    CHECK(told.back().at("error").at("code") == "unknown_entry");
  }
  SECTION("without --json the same error is one line of text") {
    const auto o = f.run({"dial", "busy", "--backend", "mock"});
    CHECK(o.err.find("dialkit: dial busy failed: line_busy") != std::string::npos);
    CHECK(o.err.find("{\"error\"") == std::string::npos);
  }
}

TEST_CASE("dial -q prints only the outcome", "[cli]") {
  Fixture f;
  const auto ok = f.run({"dial", "success", "--backend", "mock", "-q", "--hangup-after", "0"});
  INFO(describe(ok));
  CHECK(ok.code == 0);
  CHECK(ok.out.rfind("connected: success on mock as ", 0) == 0);
  CHECK(std::count(ok.out.begin(), ok.out.end(), '\n') == 1);
  CHECK(ok.err == "dialkit: hung up\n");

  const auto busy = f.run({"dial", "busy", "--backend", "mock", "--quiet"});
  INFO(describe(busy));
  CHECK(busy.code == 4);
  CHECK(busy.out.empty());
  CHECK(std::count(busy.err.begin(), busy.err.end(), '\n') == 1);
  CHECK(busy.err.find("line_busy") != std::string::npos);

  const auto both = f.run({"dial", "success", "--backend", "mock", "-q", "--json"});
  CHECK(both.code == exit_usage);
  CHECK(both.err.find("--json excludes --quiet") != std::string::npos);
}

TEST_CASE("entries warns on stderr about the scenario files it skipped, naming each and why", "[cli]") {
  Fixture f;
  TempDir scenarios;
  std::ofstream(scenarios.path() / "broken.json") << R"({"version": 1, "name": "broken", "steps": [{"state": "conected"}]})";
  std::ofstream(scenarios.path() / "mine.json")
      << R"({"version": 1, "name": "mine", "description": "my own", "steps": [{"state": "opening_port"}, {"state": "connected"}]})";
  f.env["DIALKIT_MOCK_SCENARIOS"] = scenarios.path().string();
  const auto o = f.run({"entries", "--backend", "mock"});
  INFO(describe(o));
  CHECK(o.code == 0);  // the others are still listed
  CHECK(o.out.find("mine") != std::string::npos);
  CHECK(o.out.find("success") != std::string::npos);
  CHECK(o.out.find("broken") == std::string::npos);
  const std::string warning = "dialkit: warning: mock skipped " + (scenarios.path() / "broken.json").string() +
                              ": malformed_input: ";
  CHECK(o.err.find(warning) != std::string::npos);
  CHECK(o.err.find("unknown state name \"conected\"") != std::string::npos);
  CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
}
