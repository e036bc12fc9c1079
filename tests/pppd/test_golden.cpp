// Golden files: recorded pppd sequences (golden/*.in) through the real parser and mapper must
// give exactly the shared events in golden/*.out. DIALKIT_UPDATE_GOLDEN=1 rewrites the .out
// files (review the diff before committing it).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "mapping.hpp"

#include "golden_runner.hpp"

namespace fs = std::filesystem;

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("golden pppd sequences give the recorded shared events", "[pppd][golden]") {
  const fs::path dir = fs::path(DIALKIT_TEST_SOURCE_DIR) / "tests/pppd/golden";
  const bool update = std::getenv("DIALKIT_UPDATE_GOLDEN") != nullptr;
  std::size_t files = 0;
  for (const auto& f : fs::directory_iterator(dir)) {
    if (f.path().extension() != ".in") continue;
    ++files;
    auto expected_path = f.path();
    expected_path.replace_extension(".out");
    const auto actual = dialkit::pppd::test::run_golden(slurp(f.path()));
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << actual;
      continue;
    }
    INFO("golden file " << f.path().filename().string());
    REQUIRE(fs::exists(expected_path));
    CHECK(actual == slurp(expected_path));
    CHECK(actual.find("# input error") == std::string::npos);
  }
  CHECK(files >= 10);
}

namespace {

// What the last line of a golden run says: the state and the error's name ("" for none),
// and the native code the error keeps.
struct End {
  std::string state;
  std::string error;
  std::int64_t error_native = -1;
};

End last_event(const std::string& output) {
  std::string last;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] == '{') last = line;
  const auto j = nlohmann::json::parse(last);
  End e;
  e.state = j.at("state").get<std::string>();
  if (!j.at("error").is_null()) {
    e.error = j.at("error").get<std::string>();
    e.error_native = j.at("error_native").get<std::int64_t>();
  }
  return e;
}

// The exit code's own error (DESIGN.md section 4, exit codes); a clean code before
// `connected` still failed the dial.
std::string by_exit_code(int code) {
  const auto* info = dialkit::pppd::find_exit(code);
  if (info == nullptr) return "unknown";
  return std::string(dialkit::error_name(info->code));
}

struct SequenceClass {
  std::string name;
  std::string lines;  // channel lines between the hello and EXIT, ';'-separated
  bool handle_paused = false;
  std::function<End(int)> expect;
};

End failed(std::string error) { return {"disconnected", std::move(error)}; }

}  // namespace

TEST_CASE("every exit code with every pppd sequence class: the sequence decides first", "[pppd][golden]") {
  // DESIGN.md section 4: AUTHENTICATE then teardown with neither auth_up nor a later
  // CALLBACK, NETWORK or RUNNING phase: authentication failed; authentication passed, then
  // teardown before `connected`: negotiation failed; ESTABLISH then teardown without
  // AUTHENTICATE: negotiation failed; a peer gone after `connected`: peer hung up. The exit
  // code decides only where the sequence does not, and every end keeps it as native code.
  const std::string up = "PHASE 2;PHASE 4;PHASE 5;AUTH_UP;PHASE 7;PHASE 8;IP_UP ppp0 192.0.2.2 192.0.2.1;";
  const std::vector<SequenceClass> classes{
      {"no notifier (an early exit)", "", false, [](int c) { return failed(by_exit_code(c)); }},
      {"SERIALCONN only (the connect script or pty failed)", "PHASE 2;PHASE 10;PHASE 0;", false,
       [](int c) { return failed(by_exit_code(c)); }},
      {"LCP never came up", "PHASE 2;PHASE 4;PHASE 10;PHASE 0;", false,
       [](int) { return failed("negotiation_failed"); }},
      {"no authentication asked, the NCPs failed", "PHASE 2;PHASE 4;PHASE 7;PHASE 9;PHASE 4;PHASE 10;PHASE 0;",
       false, [](int) { return failed("negotiation_failed"); }},
      {"authentication rejected", "PHASE 2;PHASE 4;PHASE 5;PHASE 9;PHASE 4;PHASE 10;PHASE 0;", false,
       [](int c) { return failed(c == 11 ? "peer_authentication_failed" : "authentication_failed"); }},
      {"authentication rejected, pauses handled", "PHASE 2;PHASE 4;PHASE 5;PHASE 9;PHASE 4;PHASE 10;PHASE 0;",
       true,
       [](int c) { return c == 11 ? failed("peer_authentication_failed") : End{"retry_authentication", ""}; }},
      {"authentication passed (auth_up), IPCP refused",
       "PHASE 2;PHASE 4;PHASE 5;AUTH_UP;PHASE 7;PHASE 9;PHASE 4;PHASE 10;PHASE 0;", true,
       [](int) { return failed("negotiation_failed"); }},
      {"authentication passed (auth_up), the peer gone in NETWORK",
       "PHASE 2;PHASE 4;PHASE 5;AUTH_UP;PHASE 7;PHASE 4;PHASE 10;PHASE 0;", true,
       [](int) { return failed("negotiation_failed"); }},
      {"authentication passed (no auth_up), the peer gone in RUNNING",
       "PHASE 2;PHASE 4;PHASE 5;PHASE 7;PHASE 8;PHASE 7;PHASE 4;PHASE 10;PHASE 0;", true,
       [](int) { return failed("negotiation_failed"); }},
      {"authentication passed (no auth_up), IPCP refused",
       "PHASE 2;PHASE 4;PHASE 5;PHASE 7;PHASE 9;PHASE 4;PHASE 10;PHASE 0;", false,
       [](int) { return failed("negotiation_failed"); }},
      {"authentication passed, callback negotiated",
       "PHASE 2;PHASE 4;PHASE 5;PHASE 6;PHASE 9;PHASE 4;PHASE 10;PHASE 0;", true,
       [](int) { return failed("negotiation_failed"); }},
      {"connected, the peer ended the link", up + "IP_DOWN;PHASE 7;PHASE 4;PHASE 10;PHASE 0;", true,
       [](int) { return failed("peer_hung_up"); }},
      {"connected, pppd ended the link", up + "PHASE 9;IP_DOWN;PHASE 7;PHASE 4;PHASE 10;PHASE 0;", true,
       [](int c) {
         switch (c) {
           case 0:
           case 5: return End{"disconnected", ""};  // hung up outside dialkit
           case 12: return failed("idle_timeout");
           case 13: return failed("time_limit");
           case 15: return failed("peer_hung_up");
           case 20: return failed("traffic_limit");
           default: return failed("link_dropped");
         }
       }},
  };
  std::vector<int> codes;
  for (const auto& e : dialkit::pppd::exit_table) codes.push_back(e.native);
  codes.push_back(99);  // not one of pppd's
  for (const auto& cls : classes) {
    for (int code : codes) {
      std::string input = cls.handle_paused ? "@options handle_paused=1\n" : "";
      input += "@spawn\n";
      if (!cls.lines.empty()) {
        input += "> DKPPP 1 4242 2.4.9\n";
        std::istringstream lines(cls.lines);
        for (std::string l; std::getline(lines, l, ';');) input += "> " + l + "\n";
        input += "> EXIT " + std::to_string(code) + "\n";
      }
      input += "@exited " + std::to_string(code) + "\n";
      const auto output = dialkit::pppd::test::run_golden(input);
      INFO(cls.name << ", exit " << code << "\n" << output);
      REQUIRE(output.find("# ") == std::string::npos);  // no input or protocol error
      const End want = cls.expect(code);
      const End got = last_event(output);
      CHECK(got.state == want.state);
      CHECK(got.error == want.error);
      if (!got.error.empty()) CHECK(got.error_native == code);
    }
  }
}
