// The CLI on inputs it cannot honour or that are broken: dial options the backend cannot
// honour are refused before anything is dialled (a backend lists what it honours in
// `dialkit backends --json`), and a truncated trace is replayed as far as it goes and ends
// where the file ends, saying so, instead of replaying an end nobody recorded.
#include <catch2/catch.hpp>

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
  const auto o = f.run({"dial", "success", "--backend", "mock", "--callback", "555-0199", "--json"});
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
