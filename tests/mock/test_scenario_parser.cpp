// The mock's scenario files: every kind of mistake is refused with a message that names the
// file, the JSON path and what is wrong; the shipped library parses; the builder validates.
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <dialkit/mock.hpp>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using dialkit::Errc;
using dialkit::State;
namespace mock = dialkit::mock;

namespace {

const std::filesystem::path shipped_dir =
    std::filesystem::path(DIALKIT_TEST_SOURCE_DIR) / "backends/mock/scenarios";

// A valid scenario with `steps` spliced in.
std::string doc(const std::string& steps, const std::string& extra = {}) {
  return R"({"version": 1, "name": "t", "description": "d", )" + extra + R"("steps": [)" + steps + "]}";
}

// Parses `text` as "bad.json" and checks that it fails as malformed input whose message
// contains the file name and every fragment.
void expect_malformed(const std::string& text, std::initializer_list<std::string> fragments) {
  const auto r = mock::parse_scenario(text, "bad.json");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::malformed_input);
  INFO(r.error().detail);
  CHECK_THAT(r.error().detail, Contains("bad.json: "));
  for (const auto& f : fragments) CHECK_THAT(r.error().detail, Contains(f));
}

}  // namespace

TEST_CASE("mock scenario: text that is not JSON is refused with the parser's position", "[mock][parser]") {
  expect_malformed(R"({"version": 1, "name": )", {"not valid JSON", "parse error"});
}

// Found by tests/fuzz (corpus/scenario/number-overflow.json): nlohmann reports a number too
// large for a double as out_of_range, not parse_error; it escaped parse_scenario and ended
// the process with std::terminate.
TEST_CASE("mock scenario: a number too large for a double is refused and not thrown", "[mock][parser]") {
  expect_malformed(doc(R"({"state": "opening_port", "delay_ms": 1e400})"), {"not valid JSON", "number overflow"});
  expect_malformed(R"({"version": 1, "name": "t", "steps": [], "faults": {"seed": -1e99999}})",
                   {"not valid JSON", "number overflow"});
}

TEST_CASE("mock scenario: a top level that is not an object is refused", "[mock][parser]") {
  expect_malformed("[1, 2]", {"(top level)", "must be an object, not array"});
}

TEST_CASE("mock scenario: a missing version is refused", "[mock][parser]") {
  expect_malformed(R"({"name": "t", "steps": [{"state": "opening_port"}, {"state": "connected"}]})",
                   {"missing field \"version\""});
}

TEST_CASE("mock scenario: an unsupported version is refused", "[mock][parser]") {
  expect_malformed(R"({"version": 7, "name": "t", "steps": [{"state": "opening_port"}, {"state": "connected"}]})",
                   {"version: unsupported format version 7"});
}

TEST_CASE("mock scenario: a missing name is refused", "[mock][parser]") {
  expect_malformed(R"({"version": 1, "steps": [{"state": "opening_port"}, {"state": "connected"}]})",
                   {"missing field \"name\""});
}

TEST_CASE("mock scenario: missing or empty steps are refused", "[mock][parser]") {
  expect_malformed(R"({"version": 1, "name": "t"})", {"missing field \"steps\""});
  expect_malformed(R"({"version": 1, "name": "t", "steps": {}})", {"steps: must be an array, not object"});
  expect_malformed(doc(""), {"steps: a scenario needs at least one step"});
}

TEST_CASE("mock scenario: a step without a state is refused", "[mock][parser]") {
  expect_malformed(doc(R"({"state": "opening_port"}, {"delay_ms": 5})"),
                   {"steps[1]: missing field \"state\""});
}

TEST_CASE("mock scenario: an unknown state name is refused", "[mock][parser]") {
  expect_malformed(doc(R"({"state": "opening_port"}, {"state": "conected"})"),
                   {"steps[1].state: unknown state name \"conected\""});
}

TEST_CASE("mock scenario: a negative delay is refused", "[mock][parser]") {
  expect_malformed(doc(R"({"state": "opening_port", "delay_ms": -5})"),
                   {"steps[0].delay_ms: delay must not be negative (got -5)"});
}

TEST_CASE("mock scenario: fields of the wrong type are refused", "[mock][parser]") {
  expect_malformed(doc(R"({"state": "opening_port", "delay_ms": "10"})"),
                   {"steps[0].delay_ms: must be an integer, not string"});
  expect_malformed(doc(R"({"state": 3})"), {"steps[0].state: must be a string, not number"});
  expect_malformed(doc(R"({"state": "opening_port", "native_name": 0})"),
                   {"steps[0].native_name: must be a string, not number"});
  expect_malformed(doc(R"("opening_port")"), {"steps[0]: must be an object, not string"});
  expect_malformed(doc(R"({"state": "opening_port"}, {"state": "connected"})", R"("device": {"name": "m", "type": 1}, )"),
                   {"device.type: must be a string, not number"});
}

TEST_CASE("mock scenario: an unknown field is refused so that typos show", "[mock][parser]") {
  expect_malformed(doc(R"({"state": "opening_port", "delay": 10})"),
                   {"steps[0].delay: unknown field", "delay_ms"});
}

TEST_CASE("mock scenario: a paused state without a pause spec is refused", "[mock][parser]") {
  expect_malformed(doc(R"({"state": "authenticating"}, {"state": "retry_authentication"})"),
                   {"steps[1]", "paused state retry_authentication needs a \"pause\" spec"});
}

TEST_CASE("mock scenario: a pause spec on a running state is refused", "[mock][parser]") {
  expect_malformed(doc(R"({"state": "authenticating", "pause": {}})"),
                   {"steps[0].pause", "only paused states take a pause spec", "running"});
}

TEST_CASE("mock scenario: a bad pause spec is refused", "[mock][parser]") {
  expect_malformed(doc(R"({"state": "retry_authentication", "pause": {"max_attempts": 0}})"),
                   {"steps[0].pause.max_attempts: must be at least 1"});
  expect_malformed(
      doc(R"({"state": "retry_authentication", "pause": {"retry": {"state": "connected"}}})"),
      {"steps[0].pause.retry.state: must be a running state"});
  expect_malformed(doc(R"({"state": "password_expired", "pause": {"expected_user": "bob"}})"),
                   {"steps[0].pause.expected_user: only retry_authentication takes a user name"});
}

TEST_CASE("mock scenario: an unknown error code name is refused", "[mock][parser]") {
  expect_malformed(
      doc(R"({"state": "opening_port"}, {"state": "disconnected", "error": {"code": "line_bussy", "native_code": 676}})"),
      {"steps[1].error.code: unknown error code name \"line_bussy\""});
  expect_malformed(doc(R"({"state": "disconnected", "error": {"native_code": 676}})"),
                   {"steps[0].error: missing field \"code\""});
}

TEST_CASE("mock scenario: steps after a terminal disconnected are refused", "[mock][parser]") {
  expect_malformed(doc(R"({"state": "opening_port"}, {"state": "disconnected"}, {"state": "port_opened"})"),
                   {"steps[2]", "after the terminal `disconnected`"});
}

TEST_CASE("mock scenario: after connected only subentry, disconnecting or disconnected may follow", "[mock][parser]") {
  expect_malformed(doc(R"({"state": "opening_port"}, {"state": "connected"}, {"state": "authenticating"})"),
                   {"steps[2]", "after `connected`", "not authenticating"});
  const auto ok = mock::parse_scenario(
      doc(R"({"state": "opening_port"}, {"state": "connected"}, {"state": "subentry_disconnected", "subentry": 2}, {"state": "disconnecting"}, {"state": "disconnected"})"),
      "good.json");
  CHECK(ok.has_value());
}

TEST_CASE("mock scenario: connected as the first step is refused", "[mock][parser]") {
  expect_malformed(doc(R"({"state": "connected"})"), {"steps[0]", "`connected` needs a running state before it"});
}

TEST_CASE("mock scenario: an error on a state that cannot carry one is refused", "[mock][parser]") {
  expect_malformed(doc(R"({"state": "authenticating", "error": {"code": "authentication_failed"}})"),
                   {"steps[0].error", "only disconnected or disconnecting may carry an error"});
}

TEST_CASE("mock scenario: bad fault settings are refused", "[mock][parser]") {
  expect_malformed(doc(R"({"state": "opening_port"}, {"state": "connected"})", R"("faults": {"drop_probability": 0.5}, )"),
                   {"faults: missing field \"seed\""});
  expect_malformed(doc(R"({"state": "opening_port"}, {"state": "connected"})", R"("faults": {"seed": 1, "fail_probability": 1.5}, )"),
                   {"faults.fail_probability: probability must be between 0 and 1"});
  expect_malformed(doc(R"({"state": "opening_port"}, {"state": "connected"})", R"("faults": {"seed": -1}, )"),
                   {"faults.seed: must not be negative"});
}

TEST_CASE("mock scenario: a file that cannot be read is named in the error", "[mock][parser]") {
  const auto r = mock::load_scenario_file("/nonexistent/dir/nope.json");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::malformed_input);
  CHECK_THAT(r.error().detail, Contains("/nonexistent/dir/nope.json"));
}

TEST_CASE("mock scenario: a valid file gives defaults and keeps what it states", "[mock][parser]") {
  const auto r = mock::parse_scenario(
      R"({"version": 1, "name": "x", "description": "about x",
          "device": {"name": "ISDN 1", "type": "isdn"}, "phone_number": "123",
          "faults": {"seed": 9, "drop_probability": 0.25},
          "steps": [
            {"state": "opening_port", "delay_ms": 15},
            {"state": "auth_project", "native_code": 4, "native_name": "NM_IP_CONFIG"},
            {"state": "retry_authentication", "pause": {"expected": "pw", "expected_user": "u", "max_attempts": 2}},
            {"state": "subentry_connected", "subentry": 3, "reason": "link 3"},
            {"state": "disconnected", "delay_ms": 7, "error": {"code": "line_busy", "native_code": 676, "native_text": "ERROR_LINE_BUSY", "detail": "busy"}}
          ]})",
      "x.json");
  REQUIRE(r.has_value());
  const auto& s = *r;
  CHECK(s.name == "x");
  CHECK(s.description == "about x");
  CHECK(s.device_name == "ISDN 1");
  CHECK(s.device_type == "isdn");
  CHECK(s.phone_number == "123");
  CHECK(s.source == "x.json");
  REQUIRE(s.faults.has_value());
  CHECK(s.faults->seed == 9);
  CHECK(s.faults->drop_probability == 0.25);
  CHECK(s.faults->fail_probability == 0.0);
  CHECK(s.faults->drop_error.code == Errc::peer_hung_up);
  REQUIRE(s.steps.size() == 5);
  CHECK(s.steps[0].delay == 15ms);
  CHECK(s.steps[0].native_code == 0);
  CHECK(s.steps[0].native_name == "RASCS_OpenPort");
  CHECK(s.steps[1].delay == 0ms);
  CHECK(s.steps[1].native_code == 4);
  CHECK(s.steps[1].native_name == "NM_IP_CONFIG");
  REQUIRE(s.steps[2].pause.has_value());
  CHECK(s.steps[2].native_code == 0x1001);
  CHECK(s.steps[2].pause->expected == "pw");
  CHECK(s.steps[2].pause->expected_user == "u");
  CHECK(s.steps[2].pause->max_attempts == 2);
  CHECK(s.steps[2].pause->retry.state == State::authenticating);
  CHECK(s.steps[2].pause->error.code == Errc::authentication_failed);
  CHECK(s.steps[2].pause->error.native_code == 691);
  CHECK(s.steps[3].subentry == 3u);
  CHECK(s.steps[3].reason == "link 3");
  REQUIRE(s.steps[4].error.has_value());
  CHECK(s.steps[4].error->code == Errc::line_busy);
  CHECK(s.steps[4].error->native_code == 676);
  CHECK(s.steps[4].error->native_text == "ERROR_LINE_BUSY");
  CHECK(s.steps[4].error->detail == "busy");
  CHECK(s.steps[4].native_code == 0x2001);
}

TEST_CASE("mock scenario: scenario_to_json reads back to the same scenario", "[mock][parser]") {
  const auto first = mock::load_scenario_file(shipped_dir / "wrong-password.json");
  REQUIRE(first.has_value());
  const auto text = mock::scenario_to_json(*first);
  const auto second = mock::parse_scenario(text, "round-trip");
  REQUIRE(second.has_value());
  CHECK(mock::scenario_to_json(*second) == text);
  CHECK(second->steps.size() == first->steps.size());
}

TEST_CASE("mock scenario: every shipped scenario parses and is named after its file", "[mock][parser]") {
  const std::vector<std::string> expected{"busy",      "callback",       "multilink",
                                          "no-answer", "no-dialtone",    "password-expired",
                                          "peer-drop", "slow-vpn",       "success",
                                          "wrong-password"};
  std::vector<std::string> found;
  for (const auto& e : std::filesystem::directory_iterator(shipped_dir)) {
    if (e.path().extension() != ".json") continue;
    const auto r = mock::load_scenario_file(e.path());
    INFO(e.path());
    REQUIRE(r.has_value());
    CHECK(r->name == e.path().stem().string());
    CHECK_FALSE(r->description.empty());
    found.push_back(r->name);
  }
  std::sort(found.begin(), found.end());
  CHECK(found == expected);
}

TEST_CASE("mock scenario: the RAS defaults follow the RASCONNSTATE values", "[mock][parser]") {
  CHECK(mock::default_native_code(State::opening_port) == 0);
  CHECK(mock::default_native_code(State::applying_settings) == 24);
  CHECK(mock::default_native_code(State::retry_authentication) == 0x1001);
  CHECK(mock::default_native_code(State::disconnected) == 0x2001);
  CHECK(mock::default_native_name(State::auth_project) == "RASCS_AuthProject");
  CHECK(mock::default_native_name(State::invoke_eap_ui) == "RASCS_InvokeEapUI");
  CHECK(mock::default_native_name(State::connected) == "RASCS_Connected");
  for (const auto& info : dialkit::state_table) {
    INFO(info.name);
    if (info.ras_value >= 0) CHECK(mock::default_native_code(info.state) == info.ras_value);
    CHECK_FALSE(mock::default_native_name(info.state).empty());
  }
}

TEST_CASE("mock builder: builds the steps it is given with RAS defaults", "[mock][builder]") {
  const auto r = mock::ScenarioBuilder("b")
                     .description("built")
                     .device("Dev", "pppoe")
                     .step(State::opening_port, 10ms)
                     .step(State::connecting_device, 20ms, 77, "NATIVE_77")
                     .pause_for_password("right", 2, 5ms)
                     .subentry(State::subentry_connected, 4, 1ms)
                     .error_step(Errc::line_busy, 676, "ERROR_LINE_BUSY", 3ms)
                     .build();
  REQUIRE(r.has_value());
  CHECK(r->description == "built");
  CHECK(r->device_type == "pppoe");
  REQUIRE(r->steps.size() == 5);
  CHECK(r->steps[0].native_name == "RASCS_OpenPort");
  CHECK(r->steps[1].native_code == 77);
  CHECK(r->steps[1].native_name == "NATIVE_77");
  CHECK(r->steps[2].state == State::retry_authentication);
  REQUIRE(r->steps[2].pause.has_value());
  CHECK(r->steps[2].pause->expected == "right");
  CHECK(r->steps[2].pause->max_attempts == 2);
  CHECK(r->steps[2].delay == 5ms);
  CHECK(r->steps[3].subentry == 4u);
  CHECK(r->steps[4].state == State::disconnected);
  REQUIRE(r->steps[4].error.has_value());
  CHECK(r->steps[4].error->code == Errc::line_busy);
  CHECK(r->steps[4].error->native_code == 676);
  CHECK(r->steps[4].error->native_text == "ERROR_LINE_BUSY");
}

TEST_CASE("mock builder: build() refuses what a file would be refused for", "[mock][builder]") {
  const auto after_end = mock::ScenarioBuilder("bad")
                             .error_step(Errc::no_answer, 678, "ERROR_NO_ANSWER")
                             .step(State::opening_port)
                             .build();
  REQUIRE_FALSE(after_end.has_value());
  CHECK(after_end.error().code == Errc::malformed_input);
  CHECK_THAT(after_end.error().detail, Contains("builder scenario bad: steps[1]"));

  const auto negative = mock::ScenarioBuilder("neg").step(State::opening_port, -1ms).build();
  REQUIRE_FALSE(negative.has_value());
  CHECK_THAT(negative.error().detail, Contains("steps[0].delay_ms: delay must not be negative"));

  mock::Step paused;
  paused.state = State::password_expired;  // no pause spec
  const auto no_pause = mock::ScenarioBuilder("p").step(paused).build();
  REQUIRE_FALSE(no_pause.has_value());
  CHECK_THAT(no_pause.error().detail, Contains("needs a \"pause\" spec"));

  CHECK_FALSE(mock::ScenarioBuilder("empty").build().has_value());
}

TEST_CASE("mock builder: a State value that is no state is refused with the step named", "[mock][builder]") {
  // Read before the range check, such a value read past the state table.
  for (const auto bad : {static_cast<State>(0), static_cast<State>(200)}) {
    const auto by_state = mock::ScenarioBuilder("bad").step(State::opening_port).step(bad, 5ms).build();
    REQUIRE_FALSE(by_state.has_value());
    CHECK(by_state.error().code == Errc::malformed_input);
    CHECK_THAT(by_state.error().detail, Contains("builder scenario bad: steps[1].state: not a state"));

    mock::Step step;
    step.state = bad;
    const auto by_step = mock::ScenarioBuilder("raw").step(step).build();
    REQUIRE_FALSE(by_step.has_value());
    CHECK_THAT(by_step.error().detail, Contains("builder scenario raw: steps[0].state: not a state"));

    auto spec = mock::default_pause(State::retry_authentication);
    const auto paused = mock::ScenarioBuilder("paused").pause(bad, spec).build();
    REQUIRE_FALSE(paused.has_value());
    CHECK_THAT(paused.error().detail, Contains("builder scenario paused: steps[0].state: not a state"));

    spec.retry.state = bad;
    const auto retry = mock::ScenarioBuilder("retry").pause(State::retry_authentication, spec).build();
    REQUIRE_FALSE(retry.has_value());
    CHECK_THAT(retry.error().detail, Contains("builder scenario retry: steps[0].pause.retry.state: not a state"));

    auto factory = mock::make_factory();
    mock::Scenario s;
    s.name = "added";
    s.steps.push_back(step);
    const auto added = factory->add_scenario(s);
    REQUIRE_FALSE(added.has_value());
    CHECK_THAT(added.error().detail, Contains("steps[0].state: not a state"));

    CHECK(mock::default_native_code(bad) == 0);
    CHECK(mock::default_native_name(bad).empty());
  }
}

TEST_CASE("mock factory: add_scenario validates", "[mock][builder]") {
  auto factory = mock::make_factory();
  CHECK(factory->name() == "mock");
  CHECK(factory->is_fake());
  mock::Scenario s;
  s.name = "nothing";
  const auto r = factory->add_scenario(s);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::malformed_input);
  CHECK_THAT(r.error().detail, Contains("at least one step"));
}

TEST_CASE("mock scenario: nesting past the depth limit is refused at once, naming the limit", "[mock][parser]") {
  // The file that never closes its '[' (it took seconds and hundreds of MiB to refuse).
  expect_malformed(R"({"version": 1, "name": "t", "steps": )" + std::string(100000, '['),
                   {"nested deeper than 16 levels", "max_scenario_depth"});
  std::string deep = "0";
  for (int i = 0; i < mock::max_scenario_depth; ++i) deep = "[" + deep + "]";
  expect_malformed(doc(R"({"state": "opening_port"})", R"("x": )" + deep + ", "), {"nested deeper than 16 levels"});
  // Up to the limit, the document is read (and here refused for what it says, not its depth).
  std::string at_limit = "0";
  for (int i = 0; i < mock::max_scenario_depth - 1; ++i) at_limit = "[" + at_limit + "]";
  expect_malformed(doc(R"({"state": "opening_port"})", R"("x": )" + at_limit + ", "), {"x: unknown field"});
}

TEST_CASE("mock scenario: text and files past the size limit are refused, naming the file and the limit",
          "[mock][parser]") {
  const std::string big_description(mock::max_scenario_bytes, 'x');
  const auto text = doc(R"({"state": "opening_port"})", R"("description": ")" + big_description + R"(", )");
  expect_malformed(text, {"bytes; a scenario file may hold at most 1048576 bytes", "max_scenario_bytes"});

  const auto dir = std::filesystem::temp_directory_path() / ("dialkit-scenario-limit-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "huge.json";
  const std::string start = R"({"version": 1, "name": "huge", "steps": )";
  {
    // 10 MB that never closes its '[': refused by its size, before it is read.
    std::ofstream out(file, std::ios::binary);
    out << start << std::string(10'000'000, '[');
  }
  const auto r = mock::load_scenario_file(file);
  std::filesystem::remove_all(dir);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::malformed_input);
  CHECK_THAT(r.error().detail, Contains(file.string() + ": " + std::to_string(start.size() + 10'000'000) + " bytes") && Contains("max_scenario_bytes"));
}
