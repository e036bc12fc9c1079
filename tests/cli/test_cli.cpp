// End-to-end tests of the `dialkit` command-line tool: each test runs the real binary as a
// child process against the mock plugin, with a private mock registry, and checks what it
// printed and how it exited.
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"
#include "prompts.hpp"
#include "skip.hpp"

using dialkit::test::Child;
using dialkit::test::Environment;
using dialkit::test::Outcome;
using dialkit::test::PtyChild;
using dialkit::test::TempDir;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The documented exit codes (cli/exit_codes.hpp, cli/README.md), restated here on purpose: a
// change to the table must show up as a failing test.
constexpr int exit_ok = 0;
constexpr int exit_usage = 2;
constexpr int exit_authentication = 3;
constexpr int exit_line = 4;
constexpr int exit_cancelled = 8;
constexpr int exit_backend = 9;
constexpr int exit_input_unavailable = 12;

// The binary and plugins under test: the build tree's, or others named in the environment
// (an installed dialkit, or an older build to show that a test catches what it should).
std::string from_env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}
const std::string dialkit_binary = from_env_or("DIALKIT_TEST_CLI", DIALKIT_CLI_BINARY);
const std::string plugin_dir = from_env_or("DIALKIT_TEST_CLI_PLUGINS", DIALKIT_TEST_PLUGIN_DIR);

// One private mock registry per test, so parallel test runs never see each other's dials.
struct Fixture {
  TempDir registry;
  Environment env{{"DIALKIT_MOCK_REGISTRY", registry.path().string()},
                  {"DIALKIT_PLUGIN_PATH", plugin_dir}};

  Outcome run(const std::vector<std::string>& args, std::string_view input = {},
              std::chrono::milliseconds limit = 30s) const {
    return dialkit::test::run(dialkit_binary, args, env, input, limit);
  }
};

std::string describe(const Outcome& o) {
  return "exit " + std::to_string(o.code) + (o.timed_out ? " (timed out)" : "") +
         "\n--- stdout ---\n" + o.out + "--- stderr ---\n" + o.err;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// The state column of the text output ("+   0.020s  opening_port  running  ...").
std::vector<std::string> text_states(const std::string& out) {
  std::vector<std::string> states;
  for (const auto& line : lines_of(out)) {
    if (line.empty() || line[0] != '+') continue;
    std::istringstream words(line.substr(1));  // past the "+"
    std::string time, state;
    words >> time >> state;
    states.push_back(state);
  }
  return states;
}

std::vector<json> json_lines(const std::string& out) {
  std::vector<json> events;
  for (const auto& line : lines_of(out)) events.push_back(json::parse(line));
  return events;
}

std::vector<std::string> json_states(const std::vector<json>& events) {
  std::vector<std::string> states;
  for (const auto& e : events)
    if (e.contains("state")) states.push_back(e["state"].get<std::string>());
  return states;
}

json scenario(const std::string& name) {
  std::ifstream in(std::string(DIALKIT_TEST_SOURCE_DIR) + "/backends/mock/scenarios/" + name + ".json");
  REQUIRE(in);
  return json::parse(in);
}

std::vector<std::string> scenario_states(const json& s) {
  std::vector<std::string> states;
  for (const auto& step : s["steps"]) states.push_back(step["state"].get<std::string>());
  return states;
}

// The password the shipped wrong-password scenario accepts.
std::string right_password() {
  const json s = scenario("wrong-password");  // named: a temporary would die before the loop
  for (const auto& step : s["steps"])
    if (step.contains("pause") && step["pause"].contains("expected"))
      return step["pause"]["expected"].get<std::string>();
  FAIL("wrong-password.json names no expected password");
  return {};
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// After `connected` a dial may only go through `disconnecting` to `disconnected`.
void check_clean_ending_after_connect(const std::vector<std::string>& states) {
  REQUIRE_FALSE(states.empty());
  CHECK(states.back() == "disconnected");
  const auto connected = std::find(states.begin(), states.end(), "connected");
  REQUIRE(connected != states.end());
  for (auto it = connected + 1; it + 1 < states.end(); ++it) CHECK(*it == "disconnecting");
}

}  // namespace

TEST_CASE("dialkit --help and every subcommand's --help work", "[cli]") {
  Fixture f;
  const auto top = f.run({"--help"});
  INFO(describe(top));
  CHECK(top.code == exit_ok);
  CHECK(top.out.find("Exit codes:") != std::string::npos);
  CHECK(top.out.find("12") != std::string::npos);
  for (const char* sub : {"backends", "entries", "dial", "hangup", "status", "watch", "replay"}) {
    const auto help = f.run({sub, "--help"});
    INFO(sub << '\n' << describe(help));
    CHECK(help.code == exit_ok);
    CHECK(help.out.find(std::string("dialkit ") + sub) != std::string::npos);
  }
}

TEST_CASE("bad arguments exit with the usage code", "[cli]") {
  Fixture f;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, {"frobnicate"}, {"dial"}, {"dial", "success", "--timeout", "-1"},
        {"dial", "success", "--password", "x"}, {"hangup"}}) {
    const auto o = f.run(args);
    INFO(describe(o));
    CHECK(o.code == exit_usage);
  }
}

TEST_CASE("backends lists the mock as a fake with its path", "[cli]") {
  Fixture f;
  const auto o = f.run({"backends"});
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  CHECK(o.out.find("mock") != std::string::npos);
  CHECK(o.out.find("fake") != std::string::npos);
  CHECK(o.out.find("dialkit-backend-mock") != std::string::npos);
  CHECK(o.out.find("usable") != std::string::npos);
}

TEST_CASE("entries --backend mock lists the shipped scenarios", "[cli]") {
  Fixture f;
  const auto o = f.run({"entries", "--backend", "mock"});
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  for (const char* name : {"success", "busy", "no-answer", "no-dialtone", "wrong-password",
                           "password-expired", "callback", "peer-drop", "multilink", "slow-vpn"})
    CHECK(o.out.find(name) != std::string::npos);
}

TEST_CASE("without a usable platform backend the CLI falls back to the mock and says so", "[cli]") {
  Fixture f;
  const auto listing = f.run({"backends"});
  REQUIRE(listing.code == exit_ok);
  // The mock is one usable backend; any other usable one is a platform backend.
  std::size_t usable = 0;
  for (auto at = listing.out.find("status: usable"); at != std::string::npos;
       at = listing.out.find("status: usable", at + 1))
    ++usable;
  const bool platform_usable = usable > 1;

  const auto o = f.run({"entries"});
  INFO(describe(listing) << '\n' << describe(o));
  CHECK(o.code == exit_ok);
  if (platform_usable) {
    CHECK(o.err.find("using the mock backend") == std::string::npos);
  } else {
    CHECK(o.err.find("no platform backend is usable here (") != std::string::npos);
    CHECK(o.err.find("using the mock backend") != std::string::npos);
    CHECK(o.out.find("wrong-password") != std::string::npos);
  }
}

TEST_CASE("backends lists refused plugins with the reason, and --allow-insecure-plugins", "[cli]") {
  Fixture f;
  TempDir plugins;
  const auto bogus = plugins.path() / "dialkit-backend-bogus.so";
  std::ofstream(bogus) << "this is not a shared library\n";
  std::filesystem::permissions(bogus, std::filesystem::perms(0644));

  const auto o = f.run({"--plugin-path", plugins.path().string(), "backends"});
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  CHECK(o.out.find("Refused plugins:") != std::string::npos);
  CHECK(o.out.find(bogus.string()) != std::string::npos);
  CHECK(o.out.find("plugin_rejected") != std::string::npos);
  CHECK(o.out.find("mock") != std::string::npos);  // the others still load

  // A world-writable directory is refused for that reason unless the user opts in.
  std::filesystem::permissions(plugins.path(), std::filesystem::perms(0777));
  const auto strict = f.run({"backends", "--plugin-path", plugins.path().string()});
  const auto lax = f.run({"backends", "--plugin-path", plugins.path().string(), "--allow-insecure-plugins"});
  INFO(describe(strict) << '\n' << describe(lax));
  CHECK(strict.out.find("writable") != std::string::npos);
  CHECK(lax.out.find("writable") == std::string::npos);
  CHECK(lax.out.find(bogus.string()) != std::string::npos);  // still refused: not a library
}

TEST_CASE("dial success prints the states in order and hangs up after --hangup-after", "[cli]") {
  Fixture f;
  const auto o = f.run({"dial", "success", "--backend", "mock", "--hangup-after", "0.2"});
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  const auto states = text_states(o.out);
  const auto expected = scenario_states(scenario("success"));
  REQUIRE(states.size() > expected.size());
  CHECK(std::vector<std::string>(states.begin(), states.begin() + static_cast<long>(expected.size())) == expected);
  check_clean_ending_after_connect(states);
  CHECK(o.out.find("Verifying user name and password...") != std::string::npos);  // display text
  CHECK(o.out.find("running") != std::string::npos);                               // group
  CHECK(o.out.find("local hang-up") != std::string::npos);                         // reason
  CHECK(o.err.find("hung up") != std::string::npos);
}

TEST_CASE("dial busy fails with the line exit code and names line_busy", "[cli]") {
  Fixture f;
  const auto o = f.run({"dial", "busy", "--backend", "mock"});
  INFO(describe(o));
  CHECK(o.code == exit_line);
  CHECK(o.out.find("line_busy") != std::string::npos);
  CHECK(o.out.find("676") != std::string::npos);  // the native code stays beside the error
  CHECK(o.err.find("line_busy") != std::string::npos);
  const auto states = text_states(o.out);
  REQUIRE_FALSE(states.empty());
  CHECK(states.back() == "disconnected");
}

TEST_CASE("dial --timeout ends a slow dial with the timeout exit code", "[cli]") {
  Fixture f;
  const auto o = f.run({"dial", "success", "--backend", "mock", "--timeout", "0.5"});
  INFO(describe(o));
  CHECK(o.code == 7);
  CHECK(o.out.find("timeout") != std::string::npos);
  const auto states = text_states(o.out);
  CHECK(std::find(states.begin(), states.end(), "connected") == states.end());
  REQUIRE_FALSE(states.empty());
  CHECK(states.back() == "disconnected");
}

TEST_CASE("dial --redial N makes N more attempts on a busy line", "[cli]") {
  Fixture f;
  const auto o = f.run({"dial", "busy", "--backend", "mock", "--redial", "1", "--json"});
  INFO(describe(o));
  CHECK(o.code == exit_line);
  const auto events = json_lines(o.out);
  REQUIRE_FALSE(events.empty());
  std::uint32_t max_attempt = 0;
  for (const auto& e : events) max_attempt = std::max(max_attempt, e["attempt"].get<std::uint32_t>());
  CHECK(max_attempt == 2);
  CHECK(events.back()["state"] == "disconnected");
  CHECK(events.back()["error"]["code"] == "line_busy");
}

TEST_CASE("dial --json prints one parseable event object per line", "[cli]") {
  Fixture f;
  const auto o = f.run({"dial", "busy", "--backend", "mock", "--json"});
  INFO(describe(o));
  CHECK(o.code == exit_line);
  const auto events = json_lines(o.out);
  REQUIRE(events.size() >= 2);
  double last_time = -1;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    for (const char* field : {"connection", "seq", "state", "previous", "group", "native_code",
                              "native_name", "error", "time"})
      CHECK(e.contains(field));
    CHECK(e["seq"].get<std::uint64_t>() == i + 1);
    CHECK(e["connection"] == events[0]["connection"]);
    CHECK(e["time"].get<double>() >= last_time);
    last_time = e["time"].get<double>();
    if (i == 0)
      CHECK(e["previous"].is_null());
    else
      CHECK(e["previous"] == events[i - 1]["state"]);
  }
  CHECK(events.back()["state"] == "disconnected");
  CHECK(events.back()["group"] == "terminal");
  CHECK(events.back()["error"]["code"] == "line_busy");
  CHECK(events.back()["native_code"].is_number_integer());
}

TEST_CASE("a wrong then right password on stdin retries and connects", "[cli]") {
  Fixture f;
  const auto o = f.run({"dial", "wrong-password", "--backend", "mock", "--user", "alice",
                        "--password-stdin", "--hangup-after", "0.1"},
                       "wrong\n" + right_password() + "\n");
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  const auto states = text_states(o.out);
  const auto pause = std::find(states.begin(), states.end(), "retry_authentication");
  REQUIRE(pause != states.end());
  CHECK(std::find(pause, states.end(), "connected") != states.end());
  check_clean_ending_after_connect(states);
}

TEST_CASE("one wrong password and no more input fails cleanly with the input code", "[cli]") {
  Fixture f;
  const auto o = f.run({"dial", "wrong-password", "--backend", "mock", "--password-stdin"}, "wrong\n");
  INFO(describe(o));
  CHECK(o.code == exit_input_unavailable);
  const auto states = text_states(o.out);
  CHECK(std::find(states.begin(), states.end(), "retry_authentication") != states.end());
  CHECK(std::find(states.begin(), states.end(), "connected") == states.end());
  REQUIRE_FALSE(states.empty());
  CHECK(states.back() == "disconnected");
  CHECK(o.err.find("retry_authentication") != std::string::npos);
  CHECK(o.err.find("password") != std::string::npos);
  CHECK(o.err.find("no lines left") != std::string::npos);
}

TEST_CASE("three wrong passwords fail with the authentication code", "[cli]") {
  Fixture f;
  // The CLI gives up after three rejected passwords (the scenario would take a fourth).
  const auto o = f.run({"dial", "wrong-password", "--backend", "mock", "--password-stdin"},
                       "bad1\nbad2\nbad3\nbad4\n");
  INFO(describe(o));
  CHECK(o.code == exit_authentication);
  CHECK(o.err.find("the password was rejected 3 times; hung up") != std::string::npos);
  const auto states = text_states(o.out);
  CHECK(std::count(states.begin(), states.end(), "retry_authentication") == 3);
  CHECK(std::find(states.begin(), states.end(), "connected") == states.end());

  SECTION("a backend that gives up first decides: the scenario's own authentication_failed") {
    TempDir scenarios;
    std::ifstream in(std::string(DIALKIT_MOCK_SCENARIO_DIR) + "/wrong-password.json");
    std::stringstream text;
    text << in.rdbuf();
    auto strict = nlohmann::json::parse(text.str());
    strict["name"] = "strict-password";
    for (auto& step : strict["steps"])
      if (step.contains("pause")) step["pause"]["max_attempts"] = 1;
    std::ofstream(scenarios.path() / "strict-password.json") << strict.dump();
    Fixture g;
    g.env["DIALKIT_MOCK_SCENARIOS"] = scenarios.path().string();
    const auto s = g.run({"dial", "strict-password", "--backend", "mock", "--password-stdin"}, "bad1\nbad2\n");
    INFO(describe(s));
    CHECK(s.code == exit_authentication);
    CHECK(s.out.find("authentication_failed") != std::string::npos);
  }
}

TEST_CASE("a pause with stdin not a terminal and no --password-stdin fails cleanly", "[cli]") {
  Fixture f;
  const auto o = f.run({"dial", "wrong-password", "--backend", "mock"});
  INFO(describe(o));
  CHECK(o.code == exit_input_unavailable);
  CHECK(o.err.find("no terminal to ask on (/dev/tty)") != std::string::npos);
  const auto states = text_states(o.out);
  REQUIRE_FALSE(states.empty());
  CHECK(states.back() == "disconnected");
}

TEST_CASE("on a terminal the password is prompted for and not echoed", "[cli]") {
  Fixture f;
  const std::string password = right_password();
  PtyChild child(dialkit_binary, {"dial", "wrong-password", "--backend", "mock", "--hangup-after", "0.1"},
                 f.env);
  // The user name prompt echoes as usual: this shows the check below can see an echo.
  REQUIRE(child.wait_for("User name: "));
  child.type("alice-echoed\n");
  REQUIRE(child.wait_for("alice-echoed"));
  REQUIRE(child.wait_for("Password for alice-echoed: "));
  const auto prompt_at = child.output().find("Password for alice-echoed: ");
  child.type(password + "\n");
  REQUIRE(child.wait_for(" connected ", prompt_at));
  const auto o = child.finish();
  INFO(o.out);
  CHECK(o.code == exit_ok);
  CHECK(o.out.find(password) == std::string::npos);
  CHECK(o.out.find("hung up") != std::string::npos);
}

TEST_CASE("Ctrl-C at a password prompt on the terminal hangs up and exits cancelled", "[cli]") {
  Fixture f;
  // stderr goes to a file-like pipe (`2>log`): the prompt must still reach the person, on the
  // terminal, and not sit unseen in the log.
  PtyChild child(dialkit_binary, {"dial", "wrong-password", "--backend", "mock"}, f.env, /*stderr_to_pipe=*/true);
  REQUIRE(child.wait_for("User name: "));
  child.type("carol\n");
  REQUIRE(child.wait_for("Password for carol: "));
  child.type("\x03");  // the terminal's interrupt character: SIGINT to the dial
  const auto o = child.finish(15s);
  INFO(describe(o));
  CHECK_FALSE(o.timed_out);
  CHECK(o.code == exit_cancelled);
  CHECK(o.out.find("disconnected") != std::string::npos);
  CHECK(o.err.find("Password") == std::string::npos);
  CHECK(o.err.find("stopped before connected; hung up") != std::string::npos);
}

TEST_CASE("with --user on a terminal the password is asked before dialling, as rasdial ENTRY USER * does",
          "[cli]") {
  Fixture f;
  const std::string password = right_password();
  PtyChild child(dialkit_binary, {"dial", "wrong-password", "--backend", "mock", "--user", "erin", "--hangup-after", "0.1"},
                 f.env, /*stderr_to_pipe=*/true);
  REQUIRE(child.wait_for("Password for erin: "));
  // Nothing was dialled yet: the prompt comes first.
  CHECK(child.output().find("opening_port") == std::string::npos);
  const auto prompt_at = child.output().find("Password for erin: ");
  child.type(password + "\n");
  REQUIRE(child.wait_for(" connected ", prompt_at));
  const auto o = child.finish();
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  CHECK(o.out.find(password) == std::string::npos);
  // The password went with the dial: the scenario never had to pause for it.
  CHECK(o.out.find("retry_authentication") == std::string::npos);

  SECTION("Ctrl-C at that prompt dials nothing and exits cancelled") {
    PtyChild early(dialkit_binary, {"dial", "wrong-password", "--backend", "mock", "--user", "erin"}, f.env,
                   /*stderr_to_pipe=*/true);
    REQUIRE(early.wait_for("Password for erin: "));
    early.type("\x03");
    const auto e = early.finish(15s);
    INFO(describe(e));
    CHECK(e.code == exit_cancelled);
    CHECK(e.out.find("opening_port") == std::string::npos);
    CHECK(e.err.find("interrupted before dialing") != std::string::npos);
  }
}

TEST_CASE("after a rejected password the terminal prompt says so and how many tries are left", "[cli]") {
  Fixture f;
  const std::string password = right_password();
  PtyChild child(dialkit_binary, {"dial", "wrong-password", "--backend", "mock", "--user", "frank", "--hangup-after", "0.1"},
                 f.env, /*stderr_to_pipe=*/true);
  REQUIRE(child.wait_for("Password for frank: "));
  child.type("wrong-1\n");
  REQUIRE(child.wait_for("The password was not accepted; 2 tries left."));
  const auto second = child.output().find("The password was not accepted; 2 tries left.");
  REQUIRE(child.wait_for("Password for frank: ", second));
  child.type("wrong-2\n");
  REQUIRE(child.wait_for("The password was not accepted; 1 try left.", second));
  const auto third = child.output().find("1 try left.");
  REQUIRE(child.wait_for("Password for frank: ", third));
  child.type(password + "\n");
  REQUIRE(child.wait_for(" connected ", third));
  const auto o = child.finish();
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  CHECK(o.out.find("wrong-1") == std::string::npos);  // none of them echoed
  CHECK(o.out.find("wrong-2") == std::string::npos);
}

TEST_CASE("a mistyped new password is asked again instead of ending the dial", "[cli]") {
  Fixture f;
  PtyChild child(dialkit_binary, {"dial", "password-expired", "--backend", "mock", "--hangup-after", "0.1"}, f.env,
                 /*stderr_to_pipe=*/true);
  REQUIRE(child.wait_for("New password: "));
  child.type("first-try\n");
  REQUIRE(child.wait_for("Retype the new password: "));
  child.type("first-tyr\n");
  REQUIRE(child.wait_for("The two new passwords did not match; try again."));
  const auto again = child.output().find("did not match; try again.");
  REQUIRE(child.wait_for("New password: ", again));
  child.type("second-try\n");
  REQUIRE(child.wait_for("Retype the new password: ", again));
  child.type("second-try\n");
  REQUIRE(child.wait_for(" connected ", again));
  const auto o = child.finish();
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  CHECK(o.out.find("first-try") == std::string::npos);
  CHECK(o.out.find("second-try") == std::string::npos);
}

TEST_CASE("with stdin and stderr redirected, the password is still asked on the terminal", "[cli]") {
  Fixture f;
  const std::string password = right_password();
  const auto empty_input = f.registry.path() / "empty-input";
  std::ofstream(empty_input).flush();
  // `dialkit dial ... </dev/null 2>log` at a terminal: as ssh and sudo do, the CLI asks on
  // /dev/tty, not on stdin or stderr.
  PtyChild child("/bin/sh",
                 {"-c", "exec \"$0\" \"$@\" <" + empty_input.string(), dialkit_binary, "dial",
                  "wrong-password", "--backend", "mock", "--user", "dave", "--hangup-after", "0.1"},
                 f.env, /*stderr_to_pipe=*/true);
  REQUIRE(child.wait_for("Password for dave: "));
  const auto prompt_at = child.output().find("Password for dave: ");
  child.type(password + "\n");
  REQUIRE(child.wait_for(" connected ", prompt_at));
  const auto o = child.finish();
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  CHECK(o.out.find(password) == std::string::npos);  // typed without echo
  CHECK(o.err.find("Password") == std::string::npos);
}

TEST_CASE("SIGTERM before connected hangs up and exits cancelled", "[cli]") {
  Fixture f;
  Child dial(dialkit_binary, {"dial", "success", "--backend", "mock"}, f.env);
  REQUIRE(dial.wait_for_stdout(" opening_port "));
  dial.send_signal(SIGTERM);
  const auto o = dial.finish(15s);
  INFO(describe(o));
  CHECK_FALSE(o.timed_out);
  CHECK(o.code == exit_cancelled);
  CHECK(o.err.find("stopped before connected; hung up") != std::string::npos);
  const auto states = text_states(o.out);
  CHECK(std::find(states.begin(), states.end(), "connected") == states.end());
  REQUIRE_FALSE(states.empty());
  CHECK(states.back() == "disconnected");
  CHECK(o.out.find("local hang-up") != std::string::npos);
}

TEST_CASE("a dial whose stdout is closed early (| head -2) hangs up and exits", "[cli]") {
  Fixture f;
  Child dial(dialkit_binary, {"dial", "success", "--backend", "mock"}, f.env);
  // Two event lines, then the reader goes away as `head -2` does.
  REQUIRE(dial.wait_for_stdout(" port_opened "));
  dial.close_stdout();
  const auto o = dial.finish(15s);
  INFO(describe(o));
  CHECK_FALSE(o.timed_out);
  // Not killed by SIGPIPE (141): the dial was hung up, before it connected.
  CHECK(o.code == exit_cancelled);
  CHECK(o.err.find("stdout was closed; stopped before connected; hung up") != std::string::npos);
  // Nothing is left live for another process to find.
  const auto status = f.run({"status", "--backend", "mock", "--json"});
  INFO(describe(status));
  CHECK(status.code == exit_ok);
  CHECK(json_lines(status.out).empty());
}

TEST_CASE("a connected dial whose stdout is closed hangs up without printing again", "[cli]") {
  Fixture f;
  Child dial(dialkit_binary, {"dial", "success", "--backend", "mock"}, f.env);
  REQUIRE(dial.wait_for_stdout(" connected "));
  // Connected, the dial prints nothing more until it ends: the closed pipe itself is noticed.
  dial.close_stdout();
  const auto o = dial.finish(15s);
  INFO(describe(o));
  CHECK_FALSE(o.timed_out);
  CHECK(o.code == exit_ok);
  CHECK(o.err.find("stdout was closed; hung up") != std::string::npos);
  const auto status = f.run({"status", "--backend", "mock", "--json"});
  CHECK(json_lines(status.out).empty());
}

TEST_CASE("a canary password appears in no output, error or trace", "[cli]") {
  Fixture f;
  const std::string canary = "CANARY-pw-7f3a9c";
  const auto trace = f.registry.path() / "canary.jsonl";
  SECTION("rejected canary, then the right password") {
    const auto o = f.run({"dial", "wrong-password", "--backend", "mock", "--user", "bob",
                          "--password-stdin", "--json", "--record", trace.string(), "--hangup-after", "0.1"},
                         canary + "\n" + right_password() + "\n");
    INFO(describe(o));
    CHECK(o.code == exit_ok);
    CHECK(o.out.find(canary) == std::string::npos);
    CHECK(o.err.find(canary) == std::string::npos);
    const auto recorded = read_file(trace);
    CHECK(recorded.find("retry_authentication") != std::string::npos);
    CHECK(recorded.find(canary) == std::string::npos);
  }
  SECTION("canary as the only line: the dial fails for want of input") {
    const auto o = f.run({"dial", "wrong-password", "--backend", "mock", "--password-stdin", "--json",
                          "--record", trace.string()},
                         canary + "\n");
    INFO(describe(o));
    CHECK(o.code == exit_input_unavailable);
    CHECK(o.out.find(canary) == std::string::npos);
    CHECK(o.err.find(canary) == std::string::npos);
    CHECK(read_file(trace).find(canary) == std::string::npos);
  }
}

TEST_CASE("dial, which handles passwords, writes no core file", "[cli]") {
  Fixture f;
  // Let the CLI inherit a non-zero core limit (shells often start with 0), so that the 0 read
  // below is the CLI's own doing.
  rlimit inherited{};
  REQUIRE(::getrlimit(RLIMIT_CORE, &inherited) == 0);
  const rlimit saved = inherited;
  inherited.rlim_cur = rlim_t{1} << 20;
  if (inherited.rlim_max != RLIM_INFINITY && inherited.rlim_max < inherited.rlim_cur)
    inherited.rlim_max = inherited.rlim_cur;  // raising the hard limit needs root
  if (::setrlimit(RLIMIT_CORE, &inherited) != 0) {
    DIALKIT_SKIP("the core-size limit cannot be raised here (hard limit below 1 MiB, no CAP_SYS_RESOURCE), "
                 "so the CLI's own limit of 0 could not be told apart from an inherited one");
    return;
  }
  Child holder(dialkit_binary,
               {"dial", "wrong-password", "--backend", "mock", "--password-stdin", "--hangup-after", "30"}, f.env);
  REQUIRE(::setrlimit(RLIMIT_CORE, &saved) == 0);
  holder.write_stdin("CANARY-core-1b2c\n");
  // Paused for the next password: the canary has been read and used.
  REQUIRE(holder.wait_for_stdout("retry_authentication"));
  const auto limits = read_file(std::filesystem::path("/proc") / std::to_string(holder.pid()) / "limits");
  std::string core_line;
  for (const auto& line : lines_of(limits))
    if (line.rfind("Max core file size", 0) == 0) core_line = line;
  INFO(limits);
  REQUIRE_FALSE(core_line.empty());
  std::istringstream fields(core_line.substr(std::string("Max core file size").size()));
  std::string soft, hard;
  fields >> soft >> hard;
  CHECK(soft == "0");
  CHECK(hard == "0");
  // Neither its command line nor its environment carries the password.
  const auto proc = std::filesystem::path("/proc") / std::to_string(holder.pid());
  CHECK(read_file(proc / "cmdline").find("CANARY-core-1b2c") == std::string::npos);
  CHECK(read_file(proc / "environ").find("CANARY-core-1b2c") == std::string::npos);
  const auto o = holder.finish(15s);
  INFO(describe(o));
  CHECK(o.out.find("CANARY-core-1b2c") == std::string::npos);
  CHECK(o.err.find("CANARY-core-1b2c") == std::string::npos);
}

TEST_CASE("a recorded trace replays to the same event sequence", "[cli]") {
  Fixture f;
  const auto trace = f.registry.path() / "wrong-password.jsonl";
  const auto dial = f.run({"dial", "wrong-password", "--backend", "mock", "--password-stdin", "--record",
                           trace.string(), "--hangup-after", "0.1"},
                          "nope\n" + right_password() + "\n");
  INFO(describe(dial));
  REQUIRE(dial.code == exit_ok);
  const auto recorded_lines = lines_of(read_file(trace));
  REQUIRE(recorded_lines.size() > 2);
  CHECK(json::parse(recorded_lines.front()) == json{{"dialkit_trace", 1}});
  const auto recorded = json_lines(read_file(trace));
  const std::vector<json> recorded_events(recorded.begin() + 1, recorded.end());

  auto same_sequence = [&](const Outcome& replay) {
    INFO(describe(replay));
    CHECK(replay.code == exit_ok);
    const auto replayed = json_lines(replay.out);
    REQUIRE(replayed.size() == recorded_events.size());
    for (std::size_t i = 0; i < replayed.size(); ++i) {
      CHECK(replayed[i]["seq"] == recorded_events[i]["seq"]);
      CHECK(replayed[i]["state"] == recorded_events[i]["state"]);
      CHECK(replayed[i]["native_code"] == recorded_events[i]["native_code"]);
      CHECK(replayed[i]["native_name"] == recorded_events[i]["native_name"]);
      CHECK(replayed[i]["error"] == recorded_events[i]["error"]);
      CHECK(replayed[i]["reason"] == recorded_events[i]["reason"]);
    }
  };
  SECTION("in virtual time") { same_sequence(f.run({"replay", trace.string(), "--json"})); }
  SECTION("in real time") { same_sequence(f.run({"replay", trace.string(), "--json", "--real-time"})); }
  SECTION("as text") {
    const auto replay = f.run({"replay", trace.string()});
    INFO(describe(replay));
    CHECK(replay.code == exit_ok);
    CHECK(text_states(replay.out) == json_states(recorded_events));
  }
}

TEST_CASE("replay of a file that is not a trace fails with the usage code", "[cli]") {
  Fixture f;
  const auto bad = f.registry.path() / "bad.jsonl";
  std::ofstream(bad) << "{\"hello\":1}\n";
  const auto o = f.run({"replay", bad.string()});
  INFO(describe(o));
  CHECK(o.code == exit_usage);
  CHECK(o.err.find("bad.jsonl") != std::string::npos);
}

TEST_CASE("status and hangup from a second process end a dial held by the first", "[cli]") {
  Fixture f;
  Child holder(dialkit_binary, {"dial", "success", "--backend", "mock", "--hangup-after", "30"}, f.env);
  REQUIRE(holder.wait_for_stdout(" connected "));

  const auto status = f.run({"status", "--backend", "mock", "--json"});
  INFO(describe(status));
  REQUIRE(status.code == exit_ok);
  const auto live = json_lines(status.out);
  REQUIRE(live.size() == 1);
  CHECK(live[0]["entry"] == "success");
  CHECK(live[0]["state"] == "connected");
  CHECK(live[0]["started_here"] == false);
  const std::string id = live[0]["id"].get<std::string>();

  const auto by_entry = f.run({"status", "success", "--backend", "mock"});
  INFO(describe(by_entry));
  CHECK(by_entry.code == exit_ok);
  CHECK(by_entry.out.find(id) != std::string::npos);

  const auto hangup = f.run({"hangup", id, "--backend", "mock"});
  INFO(describe(hangup));
  CHECK(hangup.code == exit_ok);
  CHECK(hangup.out.find("hung up " + id) != std::string::npos);

  // Far less than --hangup-after 30: only the remote hang-up can end it this soon.
  const auto held = holder.finish(15s);
  INFO(describe(held));
  CHECK_FALSE(held.timed_out);
  CHECK(held.code == exit_ok);
  check_clean_ending_after_connect(text_states(held.out));
  CHECK(held.out.find("another process") != std::string::npos);

  const auto after = f.run({"status", "--backend", "mock", "--json"});
  CHECK(after.code == exit_ok);
  CHECK(json_lines(after.out).empty());
}

TEST_CASE("SIGINT hangs a connected dial up cleanly", "[cli]") {
  Fixture f;
  Child dial(dialkit_binary, {"dial", "success", "--backend", "mock"}, f.env);
  REQUIRE(dial.wait_for_stdout(" connected "));
  dial.send_signal(SIGINT);
  const auto o = dial.finish(15s);
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  CHECK(o.err.find("hung up") != std::string::npos);
  check_clean_ending_after_connect(text_states(o.out));
}

TEST_CASE("watch shows the events of a dial another process makes", "[cli]") {
  Fixture f;
  Child watch(dialkit_binary, {"watch", "--backend", "mock", "--json"}, f.env);
  REQUIRE(watch.wait_for_stderr("watching mock"));
  Child dial(dialkit_binary, {"dial", "success", "--backend", "mock", "--hangup-after", "0.1"}, f.env);
  const auto dialed = dial.finish();
  INFO(describe(dialed));
  REQUIRE(dialed.code == exit_ok);
  REQUIRE(watch.wait_for_stdout("\"connected\""));
  watch.send_signal(SIGINT);
  const auto o = watch.finish(15s);
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  const auto states = json_states(json_lines(o.out));
  CHECK(std::find(states.begin(), states.end(), "connected") != states.end());
}

// The events a watch printed (--json) for one connection id.
std::vector<json> events_of(const std::vector<json>& all, const std::string& id) {
  std::vector<json> out;
  for (const auto& e : all)
    if (e.value("id", std::string()) == id) out.push_back(e);
  return out;
}

TEST_CASE("a watch in another process sees every event of a dial, in order, with native codes and errors",
          "[cli]") {
  Fixture f;
  Child watch(dialkit_binary, {"watch", "--backend", "mock", "--json"}, f.env);
  REQUIRE(watch.wait_for_stderr("watching mock"));

  // multilink: 16 events, several within a few milliseconds of each other.
  const auto multilink = f.run({"dial", "multilink", "--backend", "mock", "--json", "--hangup-after", "0.05"});
  INFO(describe(multilink));
  REQUIRE(multilink.code == exit_ok);
  const auto dialled = json_lines(multilink.out);
  REQUIRE(dialled.size() >= 16);
  REQUIRE(dialled.front().contains("id"));
  const std::string multilink_id = dialled.front()["id"].get<std::string>();

  const auto busy = f.run({"dial", "busy", "--backend", "mock", "--json"});
  INFO(describe(busy));
  REQUIRE(busy.code == exit_line);
  const auto busy_events = json_lines(busy.out);
  REQUIRE(busy_events.front().contains("id"));
  const std::string busy_id = busy_events.front()["id"].get<std::string>();

  REQUIRE(watch.wait_for_stdout("ERROR_LINE_BUSY"));
  watch.send_signal(SIGINT);
  const auto o = watch.finish(15s);
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  const auto watched = json_lines(o.out);

  const auto same = [](const std::vector<json>& seen, const std::vector<json>& made) {
    REQUIRE(seen.size() == made.size());
    for (std::size_t i = 0; i < seen.size(); ++i) {
      INFO("event " << i << ": watched " << seen[i].dump() << "\n  dialled " << made[i].dump());
      CHECK(seen[i]["state"] == made[i]["state"]);
      CHECK(seen[i]["native_code"] == made[i]["native_code"]);
      CHECK(seen[i]["native_name"] == made[i]["native_name"]);
      CHECK(seen[i]["subentry"] == made[i]["subentry"]);
      CHECK(seen[i]["error"] == made[i]["error"]);
    }
  };
  const auto watched_multilink = events_of(watched, multilink_id);
  same(watched_multilink, dialled);
  // The dial's own process knows it was a local hang-up; the watch, who ended it.
  CHECK(watched_multilink.back()["reason"].get<std::string>().find("dialling process") != std::string::npos);
  same(events_of(watched, busy_id), busy_events);
  CHECK(events_of(watched, busy_id).back()["error"]["code"] == "line_busy");
}

TEST_CASE("status beside malformed mock registry files lists the good dial and exits as without them", "[cli]") {
  Fixture f;
  Child holder(dialkit_binary, {"dial", "success", "--backend", "mock", "--hangup-after", "30"}, f.env);
  REQUIRE(holder.wait_for_stdout(" connected "));
  const auto good = f.run({"status", "--backend", "mock"});
  INFO(describe(good));
  REQUIRE(good.code == exit_ok);
  REQUIRE(lines_of(good.out).size() == 2);  // the header and the held dial

  // Records of a live process (this test's) with fields of the wrong type: the mock threw
  // json::type_error out of live_connections(), and status failed with backend_failed.
  const auto pid = std::to_string(::getpid());
  std::ofstream(f.registry.path() / (pid + "-1.json")) << R"({"pid": "abc", "entry": "x", "state": "connected"})";
  std::ofstream(f.registry.path() / (pid + "-2.json")) << R"({"pid": )" << pid << R"(, "entry": 5, "state": "connected"})";
  std::ofstream(f.registry.path() / (pid + "-3.log")) << R"({"dialkit_mock_log":1})" << '\n';
  const auto with_bad = f.run({"status", "--backend", "mock"});
  INFO(describe(with_bad));
  CHECK(with_bad.code == good.code);
  CHECK(with_bad.out == good.out);
  CHECK(with_bad.err == good.err);

  holder.send_signal(SIGTERM);
  CHECK(holder.finish().code == exit_ok);
}

TEST_CASE("a dial's id is the one status, hangup and watch use, in every output", "[cli]") {
  Fixture f;
  const auto trace = f.registry.path() / "held.jsonl";
  Child watch(dialkit_binary, {"watch", "--backend", "mock"}, f.env);
  REQUIRE(watch.wait_for_stderr("watching mock"));
  Child holder(dialkit_binary,
               {"dial", "success", "--backend", "mock", "--json", "--record", trace.string(), "--hangup-after", "30"},
               f.env);
  REQUIRE(holder.wait_for_stdout("\"connected\""));
  const auto first = json_lines(holder.out()).front();
  REQUIRE(first.contains("id"));
  const std::string id = first["id"].get<std::string>();
  CHECK(holder.err().find("dialling success on mock as " + id) != std::string::npos);
  for (const auto& e : json_lines(holder.out())) CHECK(e["id"] == id);

  const auto status = f.run({"status", "--backend", "mock", "--json"});
  INFO(describe(status));
  const auto live = json_lines(status.out);
  REQUIRE(live.size() == 1);
  CHECK(live[0]["id"] == id);

  REQUIRE(watch.wait_for_stdout(" connected "));
  const auto hangup = f.run({"hangup", id, "--backend", "mock"});
  INFO(describe(hangup));
  CHECK(hangup.code == exit_ok);
  CHECK(hangup.out.find("hung up " + id) != std::string::npos);
  const auto held = holder.finish(15s);
  INFO(describe(held));
  CHECK(held.code == exit_ok);

  REQUIRE(watch.wait_for_stdout(" disconnected "));
  watch.send_signal(SIGINT);
  const auto watched = watch.finish(15s);
  INFO(describe(watched));
  const auto lines = text_states(watched.out);
  REQUIRE_FALSE(lines.empty());
  for (const auto& line : lines_of(watched.out))
    if (!line.empty() && line[0] == '+') CHECK(line.find(" " + id + " mock:success ") != std::string::npos);

  const auto recorded = json_lines(read_file(trace));
  REQUIRE(recorded.size() > 1);
  for (std::size_t i = 1; i < recorded.size(); ++i) CHECK(recorded[i]["id"] == id);
}

TEST_CASE("unknown entries and backends fail cleanly with their exit codes", "[cli]") {
  Fixture f;
  const auto entry = f.run({"dial", "no-such-scenario", "--backend", "mock"});
  INFO(describe(entry));
  CHECK(entry.code == exit_usage);
  CHECK(entry.err.find("unknown_entry") != std::string::npos);

  const auto backend = f.run({"dial", "success", "--backend", "no-such-backend"});
  INFO(describe(backend));
  CHECK(backend.code == exit_backend);
  CHECK(backend.err.find("no-such-backend") != std::string::npos);

  const auto hangup = f.run({"hangup", "nothing-live", "--backend", "mock"});
  INFO(describe(hangup));
  CHECK(hangup.code == exit_usage);
}

TEST_CASE("a global flag before the command does not take the command as its value", "[cli]") {
  Fixture f;
  const auto o = f.run({"--allow-insecure-plugins", "entries", "--backend", "mock"});
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  CHECK(o.out.find("success") != std::string::npos);
}

namespace {

// The options `dialkit [COMMAND] --help` lists ("  -q,--quiet Excludes: --json  Print ...")
// and, for the top level, its commands.
struct HelpText {
  std::set<std::string> options;
  std::vector<std::string> commands;
};

HelpText parse_help(const std::string& text) {
  HelpText help;
  std::string section;
  for (const auto& line : lines_of(text)) {
    if (line[0] != ' ') {
      section = line;
      continue;
    }
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (section == "Options:" && first[0] == '-') {
      std::istringstream names(first);
      for (std::string name; std::getline(names, name, ',');) help.options.insert(name);
    } else if (section == "Subcommands:") {
      help.commands.push_back(first);
    }
  }
  return help;
}

// cli/README.md's option tables: for each section ("## Global options", "### `dial`", ...),
// the options named in the first cell of its table rows (| `--backend B` | ... |).
std::map<std::string, std::set<std::string>> readme_option_tables(const std::string& readme) {
  std::map<std::string, std::set<std::string>> tables;
  std::string section;
  for (const auto& line : lines_of(readme)) {
    if (line.rfind("## ", 0) == 0 || line.rfind("### ", 0) == 0) {
      section = line.substr(line.find(' ') + 1);
      section.erase(std::remove(section.begin(), section.end(), '`'), section.end());
      tables[section];
      continue;
    }
    if (line.rfind("| `-", 0) != 0) continue;
    const std::string cell = line.substr(1, line.find('|', 1) - 1);
    // Each `...` span of the cell names one option, with its value: `--backend B`, `-q`.
    for (auto open = cell.find('`'); open != std::string::npos; open = cell.find('`', cell.find('`', open + 1) + 1)) {
      const auto close = cell.find('`', open + 1);
      if (close == std::string::npos) break;
      std::istringstream span(cell.substr(open + 1, close - open - 1));
      std::string name;
      span >> name;
      if (name.rfind('-', 0) == 0) tables[section].insert(name);
    }
  }
  return tables;
}

}  // namespace

TEST_CASE("cli/README.md documents every command and option --help lists, and no other", "[cli][readme]") {
  Fixture f;
  const auto top = f.run({"--help"});
  REQUIRE(top.code == exit_ok);
  const HelpText help = parse_help(top.out);
  REQUIRE(help.commands.size() >= 7);
  REQUIRE(help.options.count("--version") == 1);

  const auto tables = readme_option_tables(read_file(std::filesystem::path(DIALKIT_TEST_SOURCE_DIR) / "cli/README.md"));
  REQUIRE(tables.count("Global options") == 1);
  CHECK(tables.at("Global options") == help.options);

  // Each command has its section, whose table names exactly the command's own options
  // (-h/--help, which every command takes, is in the global table).
  std::set<std::string> sections_under_commands;
  for (const auto& command : help.commands) {
    INFO("dialkit " << command);
    const auto own = f.run({command, "--help"});
    REQUIRE(own.code == exit_ok);
    auto options = parse_help(own.out).options;
    CHECK(options.erase("-h") == 1);
    CHECK(options.erase("--help") == 1);
    REQUIRE(tables.count(command) == 1);
    CHECK(tables.at(command) == options);
  }
  // And no section documents a command that is not there.
  const std::set<std::string> known(help.commands.begin(), help.commands.end());
  for (const auto& [section, options] : tables) {
    INFO(section);
    if (!options.empty() && section != "Global options") CHECK(known.count(section) == 1);
  }
}

TEST_CASE("cli/README.md lists every exit code --help lists, and every prompt the CLI asks", "[cli][readme]") {
  Fixture f;
  const std::string readme = read_file(std::filesystem::path(DIALKIT_TEST_SOURCE_DIR) / "cli/README.md");
  // --help's footer: "Exit codes:" then "   0  success ...", one a line.
  const auto top = f.run({"--help"});
  REQUIRE(top.code == exit_ok);
  std::set<int> in_help;
  bool in_codes = false;
  for (const auto& line : lines_of(top.out)) {
    if (line == "Exit codes:") {
      in_codes = true;
      continue;
    }
    if (!in_codes) continue;
    std::istringstream words(line);
    int code = -1;
    if (words >> code) in_help.insert(code);
  }
  // The README's table under "## Exit codes": "| 0 | success ... |".
  std::set<int> in_readme;
  const auto section = readme.find("\n## Exit codes\n");
  REQUIRE(section != std::string::npos);
  std::istringstream rest(readme.substr(section + 1));
  std::string line;
  std::getline(rest, line);  // the heading
  for (; std::getline(rest, line) && line.rfind("## ", 0) != 0;) {
    if (line.size() < 3 || line[0] != '|' || !std::isdigit(static_cast<unsigned char>(line[2]))) continue;
    in_readme.insert(std::stoi(line.substr(2)));
  }
  CHECK(in_help.size() == 13);
  CHECK(in_readme == in_help);

  for (const auto prompt : dialkit::cli::prompts::all) {
    INFO(prompt);
    std::string text(prompt);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    CHECK(readme.find("`" + text) != std::string::npos);
  }
}

namespace {

// Columns on a terminal: UTF-8 code points, CJK ideographs (U+3400-U+9FFF, three bytes led by
// 0xE3-0xE9) taking two. Enough for the names below.
std::size_t columns(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte & 0xC0) == 0x80) continue;
    width += byte >= 0xE3 && byte <= 0xE9 ? 2 : 1;
  }
  return width;
}

// The column where `word` starts in `line` (it must be there).
std::size_t column_of(const std::string& line, const std::string& word) {
  const auto at = line.find(word);
  REQUIRE(at != std::string::npos);
  return columns(std::string_view(line).substr(0, at));
}

// A copy of the shipped `success` scenario under another name, in `dir`.
void write_scenario(const std::filesystem::path& dir, const std::string& name) {
  json s = scenario("success");
  s["name"] = name;
  std::ofstream(dir / (name + ".json")) << s.dump(2);
}

}  // namespace

TEST_CASE("the entries and status tables line up by display width: accents, CJK, 50-character names",
          "[cli][table]") {
  Fixture f;
  TempDir scenarios;
  const std::vector<std::string> names = {"café-ünïcödé", "東京-オフィス", std::string(50, 'n')};
  for (const auto& name : names) write_scenario(scenarios.path(), name);
  f.env["DIALKIT_MOCK_SCENARIOS"] = scenarios.path().string();

  const auto entries = f.run({"entries", "--backend", "mock"});
  INFO(describe(entries));
  REQUIRE(entries.code == exit_ok);
  const auto lines = lines_of(entries.out);
  REQUIRE(lines.size() > names.size());
  const std::size_t type_column = column_of(lines[0], "TYPE");
  for (const auto& name : names) {
    INFO(name);
    const auto row = std::find_if(lines.begin(), lines.end(),
                                  [&](const std::string& l) { return l.rfind(name + " ", 0) == 0; });
    REQUIRE(row != lines.end());
    // The TYPE value starts where the header's TYPE does.
    const auto rest = row->find_first_not_of(' ', name.size());
    CHECK(columns(std::string_view(*row).substr(0, rest)) == type_column);
  }

  // Two held dials with such names: status lines up its columns too.
  std::vector<std::unique_ptr<Child>> holders;
  for (const auto& name : {names[1], names[2]}) {
    holders.push_back(std::make_unique<Child>(
        dialkit_binary, std::vector<std::string>{"dial", name, "--backend", "mock", "--hangup-after", "30"}, f.env));
    REQUIRE(holders.back()->wait_for_stdout(" connected "));
  }
  const auto status = f.run({"status", "--backend", "mock"});
  INFO(describe(status));
  REQUIRE(status.code == exit_ok);
  const auto rows = lines_of(status.out);
  REQUIRE(rows.size() == 3);
  const std::size_t state_column = column_of(rows[0], "STATE");
  for (std::size_t i = 1; i < rows.size(); ++i) {
    INFO(rows[i]);
    CHECK(column_of(rows[i], " connected ") + 1 == state_column);
  }
  for (auto& holder : holders) holder->send_signal(SIGTERM);
  for (auto& holder : holders) CHECK(holder->finish().code == exit_ok);
}
