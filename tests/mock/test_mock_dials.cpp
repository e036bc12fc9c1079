// Mock dials driven through a dialkit::Runtime in virtual time: every shipped scenario's full
// state sequence, pauses and resume, hang-up at every state, seeded faults, in-process
// scenarios, and the real plugin found by the Runtime's plugin search.
#include "mock_harness.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

using namespace mock_test;
using Catch::Matchers::Contains;
using dialkit::Errc;
namespace mock = dialkit::mock;

namespace {

const std::vector<State> dial_up{State::opening_port, State::port_opened, State::connecting_device};
const std::vector<State> link_up{State::device_connected, State::all_devices_connected,
                                 State::authenticating};
const std::vector<State> auth_ok{State::authenticated, State::auth_project, State::projected,
                                 State::connected};

std::vector<State> cat(std::initializer_list<std::vector<State>> parts) {
  std::vector<State> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

void check_failure(const dialkit::Event& e, Errc code, std::int64_t native, const char* text) {
  CHECK(e.state == State::disconnected);
  REQUIRE(e.error.has_value());
  CHECK(e.error->code == code);
  CHECK(e.error->native_code == native);
  CHECK(e.error->native_text == text);
}

// The events of one connection keep DESIGN.md's order: seq from 1 without gaps, previous
// chained, nothing after `disconnected`.
void check_well_formed(const std::vector<dialkit::Event>& events) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    INFO("event " << i << " " << dialkit::state_name(events[i].state));
    CHECK(events[i].seq == i + 1);
    if (i == 0)
      CHECK_FALSE(events[i].previous.has_value());
    else
      CHECK(events[i].previous == events[i - 1].state);
    if (i + 1 < events.size()) CHECK(events[i].state != State::disconnected);
  }
}

}  // namespace

TEST_CASE("mock dial: success connects through every step at the scripted times", "[mock][integration]") {
  Harness h;
  auto c = h.dial("success");
  h.scheduler->run_until_idle();
  CHECK(names(h.states()) == names(cat({dial_up, link_up, auth_ok})));
  CHECK(h.times_ms() == std::vector<long long>{20, 60, 90, 2490, 2520, 2820, 3420, 3460, 4360, 4420});
  CHECK(h.events[0].native_code == 0);
  CHECK(h.events[0].native_name == "RASCS_OpenPort");
  CHECK(h.events.back().native_code == 0x2000);
  CHECK(h.events.back().native_name == "RASCS_Connected");
  check_well_formed(h.events);
  const auto status = c.status();
  CHECK(status.state == State::connected);
  CHECK(status.device.device_name == "Standard 56000 bps V90 Modem");
  CHECK(status.device.device_type == "modem");
  CHECK(status.device.phone_number == "555-0100");
  CHECK(h.diagnostics.empty());
}

TEST_CASE("mock dial: the phone number given to the dial shows in status()", "[mock][integration]") {
  Harness h;
  dialkit::DialOptions o;
  o.phone_number = "0800-123";
  auto c = h.dial("success", o);
  h.scheduler->advance(100ms);
  CHECK(c.status().device.phone_number == "0800-123");
}

TEST_CASE("mock: the factory declares every dial option and pause, a polling watch and hang-up by id",
          "[mock][capabilities]") {
  const auto declared = dialkit::mock::make_factory()->capabilities();
  for (const auto& info : dialkit::dial_option_table) {
    INFO(info.name);
    CHECK(declared.honours(info.option));
  }
  for (const auto& info : dialkit::state_table) {
    INFO(info.name);
    CHECK(declared.can_pause(info.state) == (info.group == dialkit::StateGroup::paused));
  }
  CHECK(declared.watch == dialkit::WatchKind::polling);
  CHECK(declared.hangup_by_id);
}

// The mock declares both options; whether one scenario can honour them is the mock's own
// entry-level check, which names the scenario.
TEST_CASE("mock dial: an option the scenario cannot honour is refused with not_supported, before it dials",
          "[mock][integration]") {
  Harness h;
  REQUIRE(h.factory->add_scenario(*dialkit::mock::ScenarioBuilder("numberless")
                                       .step(State::opening_port, 10ms)
                                       .step(State::connected, 10ms)
                                       .build()));
  struct Case {
    const char* entry;
    std::optional<std::string> phone, callback;
    const char* option;
  };
  for (const auto& k : {Case{"numberless", "0800-123", std::nullopt, "phone number (--phone)"},
                        Case{"success", std::nullopt, "555-0199", "callback number (--callback)"},
                        Case{"wrong-password", std::nullopt, "555-0199", "callback number (--callback)"}}) {
    INFO(k.entry);
    dialkit::DialOptions o;
    o.phone_number = k.phone;
    o.callback_number = k.callback;
    auto c = h.dialer().dial(k.entry, o, [&h](const dialkit::Event& e) { h.events.push_back(e); });
    REQUIRE_FALSE(c);
    CHECK(c.error().code == Errc::not_supported);
    CHECK_THAT(c.error().detail, Catch::Contains(k.option) && Catch::Contains("mock backend") &&
                                     Catch::Contains(std::string("\"") + k.entry + "\""));
  }
  h.scheduler->run_until_idle();
  CHECK(h.events.empty());  // nothing was dialled
  // What the scenarios do honour: the number they dial, and the callback pause they have.
  dialkit::DialOptions both;
  both.phone_number = "0800-123";
  both.callback_number = "555-0199";
  auto c = h.dial("callback", both);
  h.scheduler->run_until_idle();
  CHECK(h.last_state() == State::connected);
  CHECK(c.status().device.phone_number == "0800-123");
}

TEST_CASE("mock dial: busy, no-answer and no-dialtone fail with their RAS errors", "[mock][integration]") {
  struct Case {
    const char* entry;
    Errc code;
    std::int64_t native;
    const char* text;
    long long at_ms;
  };
  for (const auto& k : {Case{"busy", Errc::line_busy, 676, "ERROR_LINE_BUSY", 1890},
                        Case{"no-answer", Errc::no_answer, 678, "ERROR_NO_ANSWER", 20090},
                        Case{"no-dialtone", Errc::no_dialtone, 680, "ERROR_NO_DIALTONE", 2590}}) {
    INFO(k.entry);
    Harness h;
    h.dial(k.entry);
    h.scheduler->run_until_idle();
    CHECK(names(h.states()) == names(cat({dial_up, {State::disconnected}})));
    check_failure(h.events.back(), k.code, k.native, k.text);
    CHECK(h.times_ms().back() == k.at_ms);
    check_well_formed(h.events);
  }
}

TEST_CASE("mock dial: wrong-password with the right password at dial does not pause", "[mock][integration]") {
  Harness h;
  dialkit::DialOptions o;
  o.credentials = dialkit::Credentials{"user", dialkit::Secret("letmein"), {}};
  o.handle_paused_states = true;
  h.dial("wrong-password", o);
  h.scheduler->run_until_idle();
  CHECK(names(h.states()) == names(cat({dial_up, link_up, {State::auth_notify}, auth_ok})));
}

TEST_CASE("mock dial: wrong-password resumed with a wrong then the right password connects", "[mock][integration]") {
  Harness h;
  dialkit::DialOptions o;
  o.credentials = dialkit::Credentials{"user", dialkit::Secret("guess"), {}};
  o.handle_paused_states = true;
  auto c = h.dial("wrong-password", o);
  h.scheduler->run_until_idle();
  REQUIRE(h.last_state() == State::retry_authentication);
  CHECK(h.events.back().native_code == 0x1001);

  // The wrong kind of input is refused and changes nothing.
  const auto wrong_kind = c.resume(dialkit::CallbackNumber{"1"});
  REQUIRE_FALSE(wrong_kind.has_value());
  CHECK(wrong_kind.error().code == Errc::invalid_argument);

  REQUIRE(c.resume(dialkit::Credentials{"user", dialkit::Secret("nope"), {}}).has_value());
  h.scheduler->run_until_idle();
  REQUIRE(h.last_state() == State::retry_authentication);
  REQUIRE(c.resume(dialkit::Credentials{"user", dialkit::Secret("letmein"), {}}).has_value());
  h.scheduler->run_until_idle();
  CHECK(names(h.states()) ==
        names(cat({dial_up, link_up,
                   {State::retry_authentication, State::authenticating, State::retry_authentication,
                    State::auth_notify},
                   auth_ok})));
  check_well_formed(h.events);
  CHECK(h.diagnostics.empty());
}

TEST_CASE("mock dial: wrong-password fails after three wrong passwords", "[mock][integration]") {
  Harness h;
  dialkit::DialOptions o;
  o.handle_paused_states = true;
  auto c = h.dial("wrong-password", o);
  for (int i = 0; i < 3; ++i) {
    h.scheduler->run_until_idle();
    REQUIRE(h.last_state() == State::retry_authentication);
    REQUIRE(c.resume(dialkit::Credentials{"user", dialkit::Secret("wrong"), {}}).has_value());
  }
  h.scheduler->run_until_idle();
  CHECK(names(h.states()) ==
        names(cat({dial_up, link_up,
                   {State::retry_authentication, State::authenticating, State::retry_authentication,
                    State::authenticating, State::retry_authentication, State::disconnected}})));
  check_failure(h.events.back(), Errc::authentication_failed, 691, "ERROR_AUTHENTICATION_FAILURE");
}

TEST_CASE("mock dial: wrong-password without handle_paused_states fails with authentication_failed", "[mock][integration]") {
  Harness h;
  h.dial("wrong-password");
  h.scheduler->run_until_idle();
  CHECK(names(h.states()) == names(cat({dial_up, link_up, {State::disconnected}})));
  check_failure(h.events.back(), Errc::authentication_failed, 691, "ERROR_AUTHENTICATION_FAILURE");
}

TEST_CASE("mock dial: password-expired takes a new password", "[mock][integration]") {
  Harness h;
  dialkit::DialOptions o;
  o.handle_paused_states = true;
  auto c = h.dial("password-expired", o);
  h.scheduler->run_until_idle();
  REQUIRE(h.last_state() == State::password_expired);
  // An empty new password is wrong: the server asks again.
  REQUIRE(c.resume(dialkit::NewPassword{dialkit::Secret("")}).has_value());
  h.scheduler->run_until_idle();
  REQUIRE(h.last_state() == State::password_expired);
  REQUIRE(c.resume(dialkit::NewPassword{dialkit::Secret("n3w")}).has_value());
  h.scheduler->run_until_idle();
  CHECK(names(h.states()) ==
        names(cat({dial_up, link_up,
                   {State::password_expired, State::auth_change_password, State::password_expired,
                    State::auth_change_password},
                   auth_ok})));
}

TEST_CASE("mock dial: password-expired without handle_paused_states fails with password_expired", "[mock][integration]") {
  Harness h;
  h.dial("password-expired");
  h.scheduler->run_until_idle();
  check_failure(h.events.back(), Errc::password_expired, 648, "ERROR_PASSWD_EXPIRED");
}

TEST_CASE("mock dial: callback skips the pause when the dial gives a callback number", "[mock][integration]") {
  const std::vector<State> after{State::preparing_for_callback, State::waiting_for_modem_reset,
                                 State::waiting_for_callback, State::reauthenticating};
  SECTION("number given at dial") {
    Harness h;
    dialkit::DialOptions o;
    o.callback_number = "555-0199";
    h.dial("callback", o);
    h.scheduler->run_until_idle();
    CHECK(names(h.states()) == names(cat({dial_up, link_up, {State::auth_callback}, after, auth_ok})));
  }
  SECTION("number given on resume") {
    Harness h;
    dialkit::DialOptions o;
    o.handle_paused_states = true;
    auto c = h.dial("callback", o);
    h.scheduler->run_until_idle();
    REQUIRE(h.last_state() == State::callback_set_by_caller);
    REQUIRE(c.resume(dialkit::CallbackNumber{"555-0199"}).has_value());
    h.scheduler->run_until_idle();
    CHECK(names(h.states()) ==
          names(cat({dial_up, link_up, {State::auth_callback, State::callback_set_by_caller}, after, auth_ok})));
  }
}

TEST_CASE("mock dial: peer-drop connects and then the peer hangs up", "[mock][integration]") {
  Harness h;
  h.dial("peer-drop");
  h.scheduler->run_until_idle();
  CHECK(names(h.states()) == names(cat({dial_up, link_up, auth_ok, {State::disconnected}})));
  check_failure(h.events.back(), Errc::peer_hung_up, 629, "ERROR_REMOTE_DISCONNECTION");
  CHECK(h.events.back().reason == "the remote end hung up");
  CHECK(h.times_ms().back() - h.times_ms()[h.times_ms().size() - 2] == 5000);
}

TEST_CASE("mock dial: multilink reports both subentries and drops the second", "[mock][integration]") {
  Harness h;
  auto c = h.dial("multilink");
  h.scheduler->run_until_idle();
  CHECK(names(h.states()) ==
        names({State::opening_port, State::port_opened, State::connecting_device,
               State::device_connected, State::all_devices_connected, State::authenticating,
               State::authenticated, State::auth_project, State::projected, State::applying_settings,
               State::subentry_connected, State::applying_settings, State::subentry_connected,
               State::connected, State::subentry_disconnected}));
  std::vector<std::optional<std::uint32_t>> subentries;
  for (const auto& e : h.events)
    if (e.state == State::subentry_connected || e.state == State::subentry_disconnected)
      subentries.push_back(e.subentry);
  CHECK(subentries == std::vector<std::optional<std::uint32_t>>{1u, 2u, 2u});
  CHECK(h.events.back().native_code == 23);
  CHECK(c.status().device.device_type == "isdn");
}

TEST_CASE("mock dial: slow-vpn takes its long delays and reports VPN native names", "[mock][integration]") {
  Harness h;
  h.dial("slow-vpn");
  h.scheduler->advance(20s);
  CHECK(h.last_state() == State::auth_project);
  h.scheduler->run_until_idle();
  CHECK(names(h.states()) == names({State::opening_port, State::connecting_device, State::authenticating,
                                    State::authenticated, State::auth_project, State::connected}));
  CHECK(h.times_ms().back() == 20500);
  CHECK(h.events.front().native_name == "NM_VPN_CONNECTION_STATE_PREPARE");
  CHECK(h.events.back().native_code == 5);
  CHECK(h.events.back().native_name == "NM_VPN_CONNECTION_STATE_ACTIVATED");
}

TEST_CASE("mock dial: an unknown entry is refused at dial()", "[mock][integration]") {
  Harness h;
  const auto c = h.dialer().dial("no-such-scenario");
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().code == Errc::unknown_entry);
  CHECK_THAT(c.error().detail, Contains("no-such-scenario"));
  const auto climb = h.dialer().dial("../scenarios/success");
  REQUIRE_FALSE(climb.has_value());
  CHECK(climb.error().code == Errc::unknown_entry);
}

TEST_CASE("mock dial: a broken scenario file is reported by dial(), skipped by entries() and named by list_entries()", "[mock][integration]") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("dialkit-mock-broken-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "broken.json") << R"({"version": 1, "name": "broken", "steps": [{"state": "conected"}]})";
    std::ofstream(dir / "mine.json") << R"({"version": 1, "name": "mine", "description": "my own", "steps": [{"state": "opening_port"}, {"state": "connected"}]})";
    // Shadows the shipped one: the first directory wins.
    std::ofstream(dir / "busy.json") << R"({"version": 1, "name": "busy", "description": "shadow", "steps": [{"state": "port_opened"}, {"state": "connected", "delay_ms": 1}]})";
  }
  Harness h({{"scenario_dirs", "/nonexistent:" + dir.string()}});
  const auto c = h.dialer().dial("broken");
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().code == Errc::malformed_input);
  CHECK_THAT(c.error().detail, Contains("broken.json: steps[0].state: unknown state name \"conected\""));

  const auto entries = h.dialer().entries();
  REQUIRE(entries.has_value());
  std::map<std::string, std::string> by_name;
  for (const auto& e : *entries) {
    CHECK(e.type == "scenario");
    by_name[e.name] = e.description;
  }
  CHECK_FALSE(by_name.contains("broken"));
  CHECK(by_name["mine"] == "my own");
  // list_entries() says what it left out, with the parser's error.
  const auto listing = h.dialer().list_entries();
  REQUIRE(listing.has_value());
  CHECK(listing->entries.size() == entries->size());
  REQUIRE(listing->skipped.size() == 1);
  CHECK(listing->skipped[0].source == (dir / "broken.json").string());
  CHECK(listing->skipped[0].error.code == Errc::malformed_input);
  CHECK_THAT(listing->skipped[0].error.detail, Contains("unknown state name \"conected\""));
  CHECK(by_name["busy"] == "shadow");
  for (const auto& name : shipped_scenarios()) CHECK(by_name.contains(name));

  h.dial("busy");
  h.scheduler->run_until_idle();
  CHECK(h.states() == std::vector<State>{State::port_opened, State::connected});
  std::filesystem::remove_all(dir);
}

TEST_CASE("mock dial: DIALKIT_MOCK_SCENARIOS adds a directory after the option's", "[mock][integration]") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("dialkit-mock-env-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "from-env.json") << R"({"version": 1, "name": "from-env", "steps": [{"state": "port_opened"}]})";
  ::setenv("DIALKIT_MOCK_SCENARIOS", dir.c_str(), 1);
  const auto dirs = mock::scenario_search_dirs({{"scenario_dirs", "/a:/b"}});
  REQUIRE(dirs.size() >= 3);
  CHECK(dirs[0] == "/a");
  CHECK(dirs[1] == "/b");
  CHECK(dirs[2] == dir);
  Harness h;
  h.dial("from-env");
  h.scheduler->run_until_idle();
  ::unsetenv("DIALKIT_MOCK_SCENARIOS");
  CHECK(h.states() == std::vector<State>{State::port_opened});
  std::filesystem::remove_all(dir);
}

// Hang-up injected after the k-th event, for every k, of every shipped scenario: from the
// test's thread, and from inside the subscriber's slot.
TEST_CASE("mock dial: a hang-up at every state of every shipped scenario ends in disconnected", "[mock][integration]") {
  const bool from_slot = GENERATE(false, true);
  for (const auto& entry : shipped_scenarios()) {
    for (std::size_t k = 1;; ++k) {
      INFO(entry << " hang-up after event " << k << (from_slot ? " from the slot" : " from the test"));
      Harness h;
      dialkit::DialOptions o;
      o.handle_paused_states = true;
      auto connection = std::make_shared<std::optional<dialkit::Connection>>();
      bool hung_up = false;
      *connection = h.dial(entry, o, [&, connection, k](const dialkit::Event& e) {
        if (from_slot && e.seq == k && !hung_up) {
          hung_up = true;
          CHECK((*connection)->hangup().has_value());
        }
      });
      // Run until k events arrived, resuming pauses with the right input so every state is
      // reached.
      while (h.events.size() < k) {
        if (h.last_state() && dialkit::is_paused(*h.last_state()) && h.scheduler->pending() == 0) {
          REQUIRE((*connection)->resume(*right_input(*h.last_state())).has_value());
          continue;
        }
        if (h.scheduler->run_until_idle(1) == 0) break;
      }
      // Fewer than k events: the scenario has no k-th state; this one is done.
      if (h.events.size() < k) break;
      if (!from_slot) {
        hung_up = true;
        CHECK((*connection)->hangup().has_value());
      }
      h.scheduler->run_until_idle();
      const auto states = h.states();
      const State hung_at = h.events[std::min(k, h.events.size()) - 1].state;
      INFO(names(states));
      REQUIRE_FALSE(h.events.empty());
      CHECK(h.events.back().state == State::disconnected);
      check_well_formed(h.events);
      CHECK(std::count(states.begin(), states.end(), State::disconnected) == 1);
      CHECK((*connection)->ended());
      if (hung_up && hung_at != State::disconnected) {
        CHECK(h.events.back().reason == "local hang-up");
        CHECK_FALSE(h.events.back().error.has_value());
        // The mock reports `disconnecting` while it lets go, once, right before the end.
        CHECK(states[states.size() - 2] == State::disconnecting);
        CHECK(h.events.size() == k + 2);
      }
      CHECK(h.diagnostics.empty());
      if (hung_at == State::disconnected) break;
      if (k > 40) FAIL("the loop did not end");
    }
  }
}

TEST_CASE("mock dial: hang-up before the first step reports nothing but the end", "[mock][integration]") {
  Harness h;
  auto c = h.dial("success");
  REQUIRE(c.hangup().has_value());
  REQUIRE(c.hangup().has_value());  // twice is fine
  h.scheduler->run_until_idle();
  CHECK(h.states() == std::vector<State>{State::disconnected});
  CHECK(h.events.back().reason == "local hang-up");
  CHECK(h.scheduler->pending() == 0);
}

TEST_CASE("mock dial: resume when not paused is refused", "[mock][integration]") {
  Harness h;
  auto c = h.dial("success");
  h.scheduler->advance(100ms);
  const auto r = c.resume(dialkit::Credentials{});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::invalid_state);
}

namespace {

mock::Scenario faulty(double fail_p, double drop_p, std::uint64_t seed) {
  mock::FaultSpec f = mock::default_faults();
  f.seed = seed;
  f.fail_probability = fail_p;
  f.drop_probability = drop_p;
  f.drop_after = 500ms;
  auto s = mock::ScenarioBuilder("faulty")
               .step(State::opening_port, 10ms)
               .step(State::connecting_device, 10ms)
               .step(State::authenticating, 10ms)
               .step(State::authenticated, 10ms)
               .step(State::connected, 10ms)
               .faults(f)
               .build();
  REQUIRE(s.has_value());
  return *s;
}

struct Outcome {
  std::vector<State> states;
  std::optional<Errc> error;
  long long end_ms = 0;
  bool operator==(const Outcome&) const = default;
};

Outcome run_faulty(const mock::Scenario& s, std::map<std::string, std::string> options = {}) {
  Harness h(std::move(options));
  REQUIRE(h.factory->add_scenario(s).has_value());
  h.dial("faulty");
  h.scheduler->advance(5s);
  Outcome o;
  o.states = h.states();
  if (!h.events.empty() && h.events.back().error) o.error = h.events.back().error->code;
  if (!h.events.empty()) o.end_ms = h.times_ms().back();
  return o;
}

}  // namespace

TEST_CASE("mock faults: the same seed gives the same dial, and faults happen", "[mock][integration]") {
  std::set<std::string> kinds;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    INFO("seed " << seed);
    const auto s = faulty(0.4, 0.5, seed);
    const auto first = run_faulty(s);
    const auto second = run_faulty(s);
    CHECK(first == second);
    REQUIRE_FALSE(first.states.empty());
    if (first.error == Errc::connect_failed) {
      kinds.insert("failed");
      CHECK(first.states.back() == State::disconnected);
      CHECK(std::find(first.states.begin(), first.states.end(), State::connected) == first.states.end());
    } else if (first.error == Errc::peer_hung_up) {
      kinds.insert("dropped");
      CHECK(first.states.end()[-2] == State::connected);
      CHECK(first.end_ms == 50 + 500);
    } else {
      kinds.insert("connected");
      CHECK(first.states.back() == State::connected);
    }
  }
  // With these probabilities 40 seeds that never fault would mean the faults are ignored.
  CHECK(kinds == std::set<std::string>{"connected", "dropped", "failed"});
}

TEST_CASE("mock faults: probability 1 always faults, 0 never", "[mock][integration]") {
  for (std::uint64_t seed : {1u, 2u, 3u, 99u}) {
    const auto fail = run_faulty(faulty(1.0, 0.0, seed));
    CHECK(fail.error == Errc::connect_failed);
    CHECK(fail.states.size() >= 2);  // some progress shows before the failure
    const auto drop = run_faulty(faulty(0.0, 1.0, seed));
    CHECK(drop.error == Errc::peer_hung_up);
    const auto clean = run_faulty(faulty(0.0, 0.0, seed));
    CHECK(clean.states.back() == State::connected);
    CHECK_FALSE(clean.error.has_value());
  }
}

TEST_CASE("mock faults: the fault_seed option overrides the scenario's seed", "[mock][integration]") {
  // Find two seeds with different outcomes, then check that the option picks the other.
  const auto base = faulty(0.5, 0.5, 1);
  const auto with_1 = run_faulty(base);
  std::optional<std::uint64_t> other;
  for (std::uint64_t seed = 2; seed < 50 && !other; ++seed)
    if (!(run_faulty(faulty(0.5, 0.5, seed)) == with_1)) other = seed;
  REQUIRE(other.has_value());
  CHECK(run_faulty(base, {{"fault_seed", std::to_string(*other)}}) == run_faulty(faulty(0.5, 0.5, *other)));

  dialkit::RuntimeOptions o;
  o.load_plugins = false;
  o.scheduler = std::make_shared<dialkit::VirtualScheduler>();
  o.delivery = dialkit::RuntimeOptions::Delivery::inline_delivery;
  o.backend_options["mock"]["fault_seed"] = "twelve";
  dialkit::Runtime rt(o);
  rt.add_backend(mock::make_factory());
  const auto d = rt.dialer("mock");
  REQUIRE_FALSE(d.has_value());
  CHECK_THAT(d.error().detail, Contains("fault_seed"));
}

TEST_CASE("mock builder: in-process scenarios dial and win over files of the same name", "[mock][integration][builder]") {
  Harness h;
  auto s = mock::ScenarioBuilder("success")
               .device("Test Device", "pppoe")
               .step(State::opening_port, 10ms)
               .pause_for_password("right", 1, 5ms)
               .error_step(Errc::line_busy, 676, "ERROR_LINE_BUSY", 7ms)
               .build();
  REQUIRE(s.has_value());
  REQUIRE(h.factory->add_scenario(*s).has_value());
  dialkit::DialOptions o;
  o.handle_paused_states = true;
  auto c = h.dial("success", o);
  h.scheduler->run_until_idle();
  CHECK(h.states() == std::vector<State>{State::opening_port, State::retry_authentication});
  CHECK(c.status().device.device_type == "pppoe");
  // max_attempts 1: one wrong password ends it.
  REQUIRE(c.resume(dialkit::Credentials{"", dialkit::Secret("wrong"), {}}).has_value());
  h.scheduler->run_until_idle();
  CHECK(h.states() == std::vector<State>{State::opening_port, State::retry_authentication, State::disconnected});
  check_failure(h.events.back(), Errc::authentication_failed, 691, "ERROR_AUTHENTICATION_FAILURE");

  Harness h2;
  REQUIRE(h2.factory->add_scenario(*s).has_value());
  h2.dial("success", o);
  h2.scheduler->run_until_idle();
  CHECK(h2.last_state() == State::retry_authentication);
}

TEST_CASE("mock builder: scenarios added after the backend exists are seen", "[mock][integration][builder]") {
  Harness h;
  (void)h.dialer();  // creates the backend
  REQUIRE(h.factory->add_scenario(*mock::ScenarioBuilder("late").step(State::opening_port, 3ms).step(State::connected, 4ms).build()).has_value());
  h.dial("late");
  h.scheduler->run_until_idle();
  CHECK(h.states() == std::vector<State>{State::opening_port, State::connected});
  CHECK(h.times_ms() == std::vector<long long>{3, 7});
  const auto entries = h.dialer().entries();
  REQUIRE(entries.has_value());
  CHECK(std::any_of(entries->begin(), entries->end(), [](const auto& e) { return e.name == "late"; }));
}

TEST_CASE("mock plugin: the Runtime's plugin search loads the real plugin, used only by name", "[mock][integration][plugin]") {
  auto scheduler = std::make_shared<dialkit::VirtualScheduler>();
  dialkit::RuntimeOptions o;
  o.load_plugins = true;
  o.plugins.paths = {DIALKIT_TEST_PLUGIN_DIR};
  o.plugins.use_environment = false;
  o.plugins.use_install_dir = false;
  o.plugins.use_build_tree = false;
  o.scheduler = scheduler;
  o.delivery = dialkit::RuntimeOptions::Delivery::inline_delivery;
  std::vector<State> states;
  {
    dialkit::Runtime rt(o);
    bool found = false;
    for (const auto& b : rt.backends()) {
      if (b.name != "mock") continue;
      found = true;
      CHECK(b.is_fake);
      CHECK_THAT(b.path, Contains("dialkit-backend-mock"));
      CHECK_FALSE(b.unusable.has_value());
    }
    for (const auto& r : rt.refused_plugins()) {
      INFO(r.path << ": " << r.error.message());
      CHECK(r.path.filename().string().find("mock") == std::string::npos);
    }
    REQUIRE(found);
    // The mock is never the default.
    if (const auto def = rt.default_dialer()) CHECK(def->backend_name() != "mock");
    auto dialer = rt.dialer("mock");
    REQUIRE(dialer.has_value());
    auto c = dialer->dial("success", {}, [&](const dialkit::Event& e) { states.push_back(e.state); });
    REQUIRE(c.has_value());
    scheduler->run_until_idle();
    CHECK(c->status().device.device_name == "Standard 56000 bps V90 Modem");
    const auto entries = dialer->entries();
    REQUIRE(entries.has_value());
    CHECK(entries->size() >= shipped_scenarios().size());
    REQUIRE(c->hangup().has_value());
  }
  CHECK(names(states) ==
        names(cat({dial_up, link_up, auth_ok, {State::disconnecting, State::disconnected}})));
}
