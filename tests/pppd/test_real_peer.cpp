// Real negotiation: asserts, on the host, what dialkit's guest driver saw in the QEMU guest
// (vm/run-guest.sh, run once by the pppd_vm_boot fixture): each scenario's whole shared event
// sequence, the canary check of pppd's command line, that no pppd was left behind, and that
// each recorded trace replays identically on the mock ("trace:PATH").
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <dialkit/mock.hpp>
#include <dialkit/runtime.hpp>
#include <dialkit/trace.hpp>

namespace fs = std::filesystem;
using namespace dialkit;

// The expected sequences (state/native code), as recorded in the guest with Debian 12's
// pppd 2.4.9 and kernel 6.1. Native codes: phases 0..12, notifiers 101+ (mapping.hpp), 200
// the backend's own SIGTERM, exit codes (or -signal) on the final event. Two points vary run
// to run and are normalized (sequence()): which NCP comes up first ("connected/ncp_up" for
// ip_up 102 or ipv6_up 103), and a rejected password's exit over a pty (19 or 16,
// notes/pppd.md: "retry_authentication/auth_exit").
#define UP_TO_AUTH "opening_port/1 connecting_device/2 all_devices_connected/4 authenticating/5"
#define UP_TO_CONNECTED UP_TO_AUTH " authenticated/101 auth_project/7 projected/8 connected/ncp_up"
#define LOCAL_TEARDOWN                                                                        \
  " disconnecting/200 disconnecting/9 disconnecting/104 disconnecting/105 disconnecting/7" \
  " disconnecting/4 disconnecting/10 disconnected/10"
#define EXPECT_CHAP_LOCAL_HANGUP UP_TO_CONNECTED LOCAL_TEARDOWN
#define EXPECT_PAP_PEER_HANGUP                                                               \
  UP_TO_CONNECTED " disconnecting/104 disconnecting/105 disconnecting/7 disconnecting/4" \
                  " disconnecting/10 disconnected/16"
#define EXPECT_WRONG_PASSWORD UP_TO_AUTH " retry_authentication/auth_exit " UP_TO_CONNECTED LOCAL_TEARDOWN
#define EXPECT_SILENT \
  "opening_port/1 connecting_device/2 all_devices_connected/4 disconnecting/10 disconnected/16"
#define EXPECT_KILL9 UP_TO_CONNECTED " disconnected/-9"

namespace {

struct Scenario {
  bool found = false;
  bool ended = false;
  int rc = -1;
  std::string trace_text;                       // "@@DK T" lines
  std::vector<std::string> json_lines;          // "@@DK J" lines (CLI)
  std::multimap<std::string, std::string> checks;
};

std::map<std::string, Scenario> load_console() {
  std::map<std::string, Scenario> out;
  std::ifstream in(DIALKIT_PPPD_VM_CONSOLE, std::ios::binary);
  std::string line, current;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    const auto at = line.find("@@DK ");
    if (at == std::string::npos) continue;
    const std::string body = line.substr(at + 5);
    if (body.starts_with("BEGIN ")) {
      current = body.substr(6);
      out[current].found = true;
    } else if (body.starts_with("END ") && !current.empty()) {
      auto& s = out[current];
      s.ended = true;
      const auto rc = body.find("rc=");
      if (rc != std::string::npos) s.rc = std::stoi(body.substr(rc + 3));
      current.clear();
    } else if (!current.empty() && body.starts_with("T ")) {
      out[current].trace_text += body.substr(2) + "\n";
    } else if (!current.empty() && body.starts_with("J ")) {
      out[current].json_lines.push_back(body.substr(2));
    } else if (!current.empty() && body.starts_with("CHECK ")) {
      const auto rest = body.substr(6);
      const auto sp = rest.find(' ');
      out[current].checks.emplace(rest.substr(0, sp), sp == std::string::npos ? "" : rest.substr(sp + 1));
    }
  }
  return out;
}

const std::map<std::string, Scenario>& console() {
  static const auto c = load_console();
  return c;
}

std::string check_of(const Scenario& s, const std::string& name) {
  auto it = s.checks.find(name);
  return it == s.checks.end() ? "(missing)" : it->second;
}

const Scenario& scenario(const std::string& name) {
  INFO("console: " << DIALKIT_PPPD_VM_CONSOLE << " (written by tests/pppd/vm/run-guest.sh)");
  REQUIRE(fs::exists(DIALKIT_PPPD_VM_CONSOLE));
  const auto& c = console();
  auto it = c.find(name);
  REQUIRE(it != c.end());
  const auto& s = it->second;
  INFO("guest checks of " << name << ": " << [&] {
    std::string all;
    for (const auto& [k, v] : s.checks) all += k + "=" + v + "; ";
    return all;
  }());
  REQUIRE(s.ended);
  REQUIRE(s.rc == 0);
  return s;
}

Trace trace_of(const std::string& name, const Scenario& s) {
  auto t = parse_trace(s.trace_text, name);
  INFO(s.trace_text);
  REQUIRE(t);
  return *t;
}

// "state/native_code" for each event: the whole sequence in one comparable string.
std::string sequence(const Trace& t) {
  std::string out;
  for (const auto& te : t.events) {
    const auto& e = te.event;
    std::string code = std::to_string(e.native_code);
    if (e.state == State::connected && (e.native_code == 102 || e.native_code == 103)) code = "ncp_up";
    if (e.state == State::retry_authentication && (e.native_code == 19 || e.native_code == 16))
      code = "auth_exit";
    out += (out.empty() ? "" : " ") + std::string(state_name(e.state)) + "/" + code;
  }
  return out;
}

// The same trace through the mock ("trace:PATH") in virtual time gives the same events.
void replays_on_mock(const std::string& name, const Trace& recorded, const std::string& text) {
  const fs::path file = fs::path(DIALKIT_PPPD_VM_OUT) / (name + ".trace.jsonl");
  std::ofstream(file, std::ios::binary) << text;
  auto scheduler = std::make_shared<VirtualScheduler>();
  RuntimeOptions o;
  o.load_plugins = false;
  o.scheduler = scheduler;
  o.delivery = RuntimeOptions::Delivery::inline_delivery;
  Runtime runtime(o);
  runtime.add_backend(mock::make_factory());
  auto dialer = runtime.dialer("mock");
  REQUIRE(dialer);
  std::vector<Event> replayed;
  DialOptions d;
  d.handle_paused_states = true;
  auto c = dialer->dial("trace:" + file.string(), d, [&](const Event& e) { replayed.push_back(e); });
  REQUIRE(c);
  scheduler->run_until_idle();
  REQUIRE(replayed.size() == recorded.events.size());
  for (std::size_t i = 0; i < replayed.size(); ++i) {
    const auto& a = replayed[i];
    const auto& b = recorded.events[i].event;
    INFO("event " << i + 1 << " of " << name);
    CHECK(a.state == b.state);
    CHECK(a.native_code == b.native_code);
    CHECK(a.native_name == b.native_name);
    CHECK(a.reason == b.reason);
    CHECK(a.error.has_value() == b.error.has_value());
    if (a.error && b.error) {
      CHECK(a.error->code == b.error->code);
      CHECK(a.error->native_code == b.error->native_code);
      CHECK(a.error->detail == b.error->detail);
    }
  }
}

const Event& last(const Trace& t) { return t.events.back().event; }

// What every fault scenario must leave: the killed process reaped, none of our pppd left,
// the driver's threads and fds as before the dial.
void check_nothing_left(const Scenario& s) {
  CHECK(check_of(s, "reaped") == "yes");
  CHECK(check_of(s, "ours_left") == "0");
  const auto same = [](const std::string& change) {
    const auto arrow = change.find("->");
    return arrow != std::string::npos && change.substr(0, arrow) == change.substr(arrow + 2);
  };
  CHECK(same(check_of(s, "threads")));
  CHECK(same(check_of(s, "fds")));
}

// The states of a sequence, without native codes.
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}


}  // namespace

TEST_CASE("real peer: CHAP success then local hang-up, and pppd's command line holds no password", "[pppd][real-peer]") {
  const auto& s = scenario("chap_local_hangup");
  const auto t = trace_of("chap_local_hangup", s);
  CHECK(sequence(t) == EXPECT_CHAP_LOCAL_HANGUP);
  CHECK(last(t).reason == "local hang-up");
  CHECK_FALSE(last(t).error);
  // The canary is the real secret the server checks: it reached pppd, but not via argv.
  CHECK(check_of(s, "cmdline_has_plugin") == "yes");
  CHECK(check_of(s, "cmdline_has_canary") == "no");
  CHECK(check_of(s, "environ_has_canary") == "no");
  CHECK_THAT(check_of(s, "live"), Catch::Contains("entry=chap device=ppp"));
  CHECK(check_of(s, "reaped") == "yes");
  replays_on_mock("chap_local_hangup", t, s.trace_text);
}

TEST_CASE("real peer: PAP success then the peer hangs up", "[pppd][real-peer]") {
  const auto& s = scenario("pap_peer_hangup");
  const auto t = trace_of("pap_peer_hangup", s);
  CHECK(sequence(t) == EXPECT_PAP_PEER_HANGUP);
  REQUIRE(last(t).error);
  CHECK(last(t).error->code == Errc::peer_hung_up);
  CHECK(last(t).reason == "peer hung up");
  // The server pppd, and its "charshunt" fork (also named pppd) that ends with it.
  CHECK(check_of(s, "servers_signalled") != "0");
  CHECK(check_of(s, "servers_signalled") != "(missing)");
  replays_on_mock("pap_peer_hangup", t, s.trace_text);
}

TEST_CASE("real peer: wrong password pauses, and resume with the right one connects", "[pppd][real-peer]") {
  const auto& s = scenario("wrong_password");
  const auto t = trace_of("wrong_password", s);
  CHECK(sequence(t) == EXPECT_WRONG_PASSWORD);
  CHECK(last(t).reason == "local hang-up");
  replays_on_mock("wrong_password", t, s.trace_text);
}

TEST_CASE("real peer: a silent server is negotiation_failed within the configured time", "[pppd][real-peer]") {
  const auto& s = scenario("silent");
  const auto t = trace_of("silent", s);
  CHECK(sequence(t) == EXPECT_SILENT);
  REQUIRE(last(t).error);
  CHECK(last(t).error->code == Errc::negotiation_failed);
  // The peer allows 3 Configure-Requests 1 s apart; the dial's own timeout is 30 s.
  const auto ms = std::stol(check_of(s, "elapsed_ms"));
  CHECK(ms >= 2500);
  CHECK(ms < 30000);
  replays_on_mock("silent", t, s.trace_text);
}

TEST_CASE("real peer: IPCP refused after the right password is negotiation_failed, not a pause",
          "[pppd][real-peer]") {
  const auto& s = scenario("ipcp_refused");
  const auto t = trace_of("ipcp_refused", s);
  const auto seq = sequence(t);
  INFO(seq);
  // Authentication passed; the server (noip) refuses IPCP; the teardown follows.
  CHECK_THAT(seq, Catch::StartsWith(UP_TO_AUTH " authenticated/101 auth_project/7 disconnecting/"));
  CHECK(seq.find("retry_authentication") == std::string::npos);
  CHECK(seq.find(" connected/") == std::string::npos);
  CHECK(last(t).state == State::disconnected);
  REQUIRE(last(t).error);
  CHECK(last(t).error->code == Errc::negotiation_failed);
  CHECK_THAT(last(t).error->detail, Catch::Contains("authentication passed"));
  replays_on_mock("ipcp_refused", t, s.trace_text);
}

TEST_CASE("real peer: pppd killed -9 while connected ends the dial with a clear error", "[pppd][real-peer]") {
  const auto& s = scenario("kill9");
  const auto t = trace_of("kill9", s);
  CHECK(sequence(t) == EXPECT_KILL9);
  REQUIRE(last(t).error);
  CHECK(last(t).error->code == Errc::system_error);
  CHECK(last(t).error->native_text == "SIGKILL");
  check_nothing_left(s);
  replays_on_mock("kill9", t, s.trace_text);
}

TEST_CASE("real peer: pppd killed -9 at each state on the way up ends the dial with a clear error",
          "[pppd][real-peer][fault]") {
  const std::string at = GENERATE(as<std::string>{}, "opening_port", "connecting_device", "all_devices_connected",
                                  "authenticating", "authenticated", "auth_project", "projected");
  const std::string name = "kill9_at_" + at;
  INFO(name);
  const auto& s = scenario(name);
  CHECK(check_of(s, "victims") == "1");
  CHECK(check_of(s, "killed_at") == at);
  const auto t = trace_of(name, s);
  INFO(sequence(t));
  // What came before the end is the normal way up, as far as pppd got (at least to `at`).
  const auto seen = words(sequence(t));
  const auto up = words(UP_TO_CONNECTED);
  REQUIRE(seen.size() >= 2);
  CHECK(seen.back() == "disconnected/-9");
  REQUIRE(seen.size() - 1 <= up.size());
  CHECK(std::equal(seen.begin(), seen.end() - 1, up.begin()));
  bool reached = false;
  for (std::size_t i = 0; i + 1 < seen.size(); ++i) reached = reached || seen[i].starts_with(at + "/");
  CHECK(reached);
  REQUIRE(last(t).error);
  CHECK(last(t).error->code == Errc::system_error);
  CHECK(last(t).error->native_text == "SIGKILL");
  CHECK_THAT(last(t).error->message(), Catch::Contains("SIGKILL"));
  check_nothing_left(s);
  replays_on_mock(name, t, s.trace_text);
}

TEST_CASE("real peer: the peer vanishing mid-dial or once connected ends the dial with a clear error",
          "[pppd][real-peer][fault]") {
  const std::string at = GENERATE(as<std::string>{}, "authenticating", "connected");
  const std::string name = "peer_gone_at_" + at;
  INFO(name);
  const auto& s = scenario(name);
  CHECK(check_of(s, "victims") != "0");
  CHECK(check_of(s, "victims") != "(missing)");
  CHECK(check_of(s, "killed_at") == at);
  const auto t = trace_of(name, s);
  INFO(sequence(t));
  CHECK(last(t).state == State::disconnected);
  REQUIRE(last(t).error);
  // pppd sees the line hang up: peer_hung_up (EXIT_HANGUP) once the link is up; before it
  // is, pppd may give up negotiating first (the signal reaches the slot a moment after the
  // state: how far pppd got varies).
  const auto code = last(t).error->code;
  INFO(last(t).error->message());
  CHECK((code == Errc::peer_hung_up || code == Errc::negotiation_failed));
  CHECK(last(t).error->error_class() == ErrorClass::link);
  REQUIRE(last(t).error->native_code.has_value());
  CHECK_FALSE(last(t).error->native_text.empty());
  CHECK_THAT(last(t).error->message(), Catch::Contains(last(t).error->native_text));
  if (at == "connected") CHECK(code == Errc::peer_hung_up);
  check_nothing_left(s);
  replays_on_mock(name, t, s.trace_text);
}

TEST_CASE("real peer: `dialkit dial pap --backend pppd` connects and hangs up", "[pppd][real-peer]") {
  const auto& c = console();
  auto it = c.find("cli");
  INFO("the CLI was not in the guest (not built?)");
  REQUIRE(it != c.end());
  REQUIRE(it->second.ended);
  std::string states;
  for (const auto& line : it->second.json_lines) {
    auto e = event_from_json(line);
    if (!e) continue;
    states += (states.empty() ? "" : " ") + std::string(state_name(e->event.state));
  }
  INFO("CLI output: " << [&] {
    std::string all;
    for (const auto& l : it->second.json_lines) all += l + "\n";
    return all;
  }());
  CHECK_THAT(states, Catch::StartsWith("opening_port connecting_device all_devices_connected authenticating authenticated"));
  CHECK_THAT(states, Catch::Contains("connected disconnecting"));
  CHECK_THAT(states, Catch::EndsWith("disconnected"));
  CHECK(it->second.rc == 0);
}
