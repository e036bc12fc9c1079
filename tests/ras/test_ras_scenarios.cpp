// RAS dials through a Runtime, on both layers: against the fake table on Linux, and with the
// real adapter against the stand-in rasapi32.dll under wine. Every scenario is a phone-book
// entry of the emulator's catalogue (tests/ras/emulator.cpp).
#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <catch2/catch.hpp>

#include "mapping.hpp"
#include <dialkit/conformance.hpp>

#include "harness.hpp"

using namespace dialkit;
using namespace dialkit::ras;
using namespace dialkit::ras::test;

namespace {

DialOptions pausing() {
  DialOptions o;
  o.handle_paused_states = true;
  return o;
}

// The dial's life ends with the hang-up as DESIGN.md section 3 says.
void require_local_hangup_end(Recorder& r) {
  REQUIRE(r.wait_for_end());
  const auto events = r.events();
  REQUIRE(events.size() >= 2);
  const auto& last = events.back();
  CHECK(last.state == State::disconnected);
  CHECK(last.reason == "local hang-up");
  CHECK_FALSE(last.error);
  CHECK(last.native_code == 0x2001);
  CHECK(events[events.size() - 2].state == State::disconnecting);
}

}  // namespace

TEST_CASE("ras: a dial walks RAS's states to connected and hangs up", "[ras]") {
  Rig rig;
  Recorder r;
  auto c = rig.dial("ok", r);
  REQUIRE(c);
  REQUIRE(r.wait_for_state(State::connected));
  const std::vector<State> expected{State::opening_port, State::port_opened,  State::connecting_device,
                                    State::device_connected, State::all_devices_connected,
                                    State::authenticating, State::auth_notify, State::auth_ack,
                                    State::authenticated, State::auth_project, State::projected,
                                    State::connected};
  CHECK(r.states() == expected);
  for (const auto& e : r.events()) {
    CHECK(e.native_code == static_cast<std::int64_t>(*ras_value(e.state)));
    CHECK(e.native_name == ras_state_name(static_cast<std::uint32_t>(e.native_code)));
  }
  const auto status = c->status();
  CHECK(status.state == State::connected);
  CHECK(status.device.device_name == "Stand-in Modem (ok)");
  CHECK(status.device.device_type == "modem");

  REQUIRE(c->hangup());
  require_local_hangup_end(r);
  const auto n = rig.control().counters();
  CHECK(n.hangups == 1);
  CHECK(n.live == 0);  // RasGetConnectStatus said ERROR_INVALID_HANDLE before hangup() returned
  CHECK(rig.runtime().illegal_transitions() == 0);
}

TEST_CASE("ras: multilink subentries are reported with their index", "[ras]") {
  Rig rig;
  SECTION("both links connect") {
    Recorder r;
    auto c = rig.dial("multilink", r);
    REQUIRE(c);
    REQUIRE(r.wait_for_state(State::connected));
    std::vector<std::pair<State, std::uint32_t>> subs;
    for (const auto& e : r.events())
      if (e.subentry && (e.state == State::subentry_connected || e.state == State::applying_settings))
        subs.emplace_back(e.state, *e.subentry);
    const std::vector<std::pair<State, std::uint32_t>> expected{{State::applying_settings, 1},
                                                                {State::subentry_connected, 1},
                                                                {State::applying_settings, 2},
                                                                {State::subentry_connected, 2}};
    CHECK(subs == expected);
    // Both links' device states were delivered although the states repeat: they differ in subentry.
    CHECK(r.count(State::connecting_device) == 2);
  }
  SECTION("one link fails, the bundle still connects") {
    Recorder r;
    auto c = rig.dial("multilink-partial", r);
    REQUIRE(c);
    REQUIRE(r.wait_for_state(State::connected));
    const auto events = r.events();
    const auto it = std::find_if(events.begin(), events.end(),
                                 [](const Event& e) { return e.state == State::subentry_disconnected; });
    REQUIRE(it != events.end());
    CHECK(it->subentry == 2u);
    CHECK(it->native_code == 23);
  }
  CHECK(rig.runtime().illegal_transitions() == 0);
}

TEST_CASE("ras: each paused state resumes with a second RasDial on the same handle", "[ras]") {
  struct Case {
    const char* entry;
    State paused;
    ResumeInput input;
  };
  const std::vector<Case> cases{
      {"wrong-password", State::retry_authentication, Credentials{"alice", Secret("letmein"), ""}},
      {"password-expired", State::password_expired, NewPassword{Secret("n3w-secret")}},
      {"callback", State::callback_set_by_caller, CallbackNumber{"555-0199"}},
      {"eap", State::invoke_eap_ui, EapInput{""}},
      {"interactive", State::interactive, TerminalDone{}},
  };
  for (const auto& k : cases) {
    DYNAMIC_SECTION(k.entry) {
      Rig rig;
      Recorder r;
      auto c = rig.dial(k.entry, r, pausing());
      REQUIRE(c);
      REQUIRE(r.wait_for_state(k.paused));
      CHECK(r.last().state == k.paused);
      CHECK(r.last().native_code == static_cast<std::int64_t>(*ras_value(k.paused)));
      REQUIRE(c->resume(k.input));
      REQUIRE(r.wait_for_state(State::connected));
      const auto n = rig.control().counters();
      CHECK(n.resumes == 1);
      CHECK(n.dials == 2);  // the first RasDial and the resume, same handle
      CHECK(n.dials_from_notifier == 0);
      if (k.paused == State::retry_authentication) {
        CHECK(n.last_user == "alice");
        CHECK(n.last_password == "letmein");
      }
      if (k.paused == State::password_expired) CHECK(n.last_password == "n3w-secret");
      if (k.paused == State::callback_set_by_caller) CHECK(n.last_callback == "555-0199");
      if (k.paused == State::invoke_eap_ui) CHECK(n.eap_ui_calls == 1);
      REQUIRE(c->hangup());
      require_local_hangup_end(r);
      CHECK(rig.control().counters().live == 0);
      CHECK(rig.runtime().illegal_transitions() == 0);
    }
  }
}

TEST_CASE("ras: rejected credentials pause again until the right ones come", "[ras]") {
  Rig rig;
  Recorder r;
  auto c = rig.dial("wrong-password", r, pausing());
  REQUIRE(c);
  REQUIRE(r.wait_for_state(State::retry_authentication));
  REQUIRE(c->resume(Credentials{"alice", Secret("wrong"), ""}));
  REQUIRE(r.wait_for_state(State::retry_authentication, 2));
  CHECK(r.count(State::auth_retry) == 1);
  REQUIRE(c->resume(Credentials{"alice", Secret("letmein"), ""}));
  REQUIRE(r.wait_for_state(State::connected));
  CHECK(rig.control().counters().resumes == 2);
  REQUIRE(c->hangup());
}

TEST_CASE("ras: without paused states a pause becomes the error RAS gives", "[ras]") {
  struct Case {
    const char* entry;
    std::uint32_t code;
    Errc errc;
  };
  const std::vector<Case> cases{{"wrong-password", 691, Errc::authentication_failed},
                                {"password-expired", 648, Errc::password_expired},
                                {"callback", 704, Errc::callback_failed},
                                {"interactive", 703, Errc::user_input_required},
                                {"eap", 705, Errc::authentication_failed}};
  for (const auto& k : cases) {
    DYNAMIC_SECTION(k.entry) {
      Rig rig;
      Recorder r;
      auto c = rig.dial(k.entry, r);
      REQUIRE(c);
      REQUIRE(r.wait_for_end());
      const auto last = r.last();
      REQUIRE(last.error);
      CHECK(last.error->code == k.errc);
      CHECK(last.error->native_code == k.code);
      CHECK_FALSE(last.error->native_text.empty());
      const auto n = rig.control().counters();
      CHECK(n.hangups == 1);  // the backend hung the failed dial's handle up itself
      CHECK(n.live == 0);
    }
  }
}

TEST_CASE("ras: an error notification ends the dial with the RAS code and text", "[ras]") {
  Rig rig;
  SECTION("busy while connecting the device") {
    Recorder r;
    auto c = rig.dial("busy", r);
    REQUIRE(c);
    REQUIRE(r.wait_for_end());
    const std::vector<State> expected{State::opening_port, State::port_opened, State::disconnected};
    CHECK(r.states() == expected);
    const auto e = *r.last().error;
    CHECK(e.code == Errc::line_busy);
    CHECK(e.native_code == 676);
    CHECK(e.native_text == "The line is busy. (stand-in)");  // RasGetErrorString's text
    CHECK(e.detail.find("ERROR_LINE_BUSY") != std::string::npos);
    CHECK(e.detail.find("RASCS_ConnectDevice") != std::string::npos);
  }
  SECTION("authentication fails mid-dial") {
    Recorder r;
    auto c = rig.dial("auth-fail", r);
    REQUIRE(c);
    REQUIRE(r.wait_for_end());
    CHECK(r.states().back() == State::disconnected);
    CHECK(r.count(State::authenticated) == 0);
    CHECK(r.last().error->code == Errc::authentication_failed);
    CHECK(r.last().error->native_code == 691);
  }
  const auto n = rig.control().counters();
  CHECK(n.hangups == 1);
  CHECK(n.live == 0);
  CHECK(n.zero_returns == 1);  // the error notification is the last one the backend wants
}

TEST_CASE("ras: a failed RasDial reports no event and still hangs up a returned handle", "[ras]") {
  Rig rig;
  Recorder r;
  SECTION("RasDial fails but stores a handle") {
    auto c = rig.dial("port-busy", r);
    REQUIRE_FALSE(c);
    CHECK(c.error().native_code == 633);
    CHECK(c.error().code == errc_for_ras_error(633));
    const auto n = rig.control().counters();
    CHECK(n.hangups == 1);
    CHECK(n.live == 0);
  }
  SECTION("no such entry") {
    auto c = rig.dial("no-such-entry", r);
    REQUIRE_FALSE(c);
    CHECK(c.error().code == Errc::unknown_entry);
    CHECK(c.error().native_code == 623);
    CHECK(rig.control().counters().hangups == 0);
  }
  CHECK(r.events().empty());
}

TEST_CASE("ras: hang-up works from every state", "[ras]") {
  for (const auto& s : ras_state_names()) {
    if (s.native == 0x2001) continue;  // Disconnected ends the dial by itself
    DYNAMIC_SECTION(s.name) {
      Rig rig;
      Recorder r;
      auto c = rig.dial("hold:" + std::to_string(s.native), r, pausing());
      REQUIRE(c);
      const State target = *state_for_ras(s.native);
      REQUIRE(r.wait_for_state(target));
      REQUIRE(c->hangup());
      require_local_hangup_end(r);
      CHECK(rig.control().counters().live == 0);
      CHECK(rig.runtime().illegal_transitions() == 0);
      REQUIRE(c->hangup());  // twice is fine
    }
  }
}

TEST_CASE("ras: hang-up polls until the handle dies, within a bound", "[ras]") {
  SECTION("the handle takes several polls to die") {
    Rig rig;
    Recorder r;
    auto c = rig.dial("slow-hangup", r);
    REQUIRE(c);
    REQUIRE(r.wait_for_state(State::connected));
    REQUIRE(c->hangup());
    CHECK(rig.control().counters().live == 0);
  }
  SECTION("a handle that never dies (wine's stub) does not hang the caller") {
    Rig rig(std::map<std::string, std::string>{{"hangup_limit_ms", "100"}});
    Recorder r;
    auto c = rig.dial("stuck-hangup", r);
    REQUIRE(c);
    REQUIRE(r.wait_for_state(State::connected));
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(c->hangup());
    CHECK(std::chrono::steady_clock::now() - t0 < 10s);
    require_local_hangup_end(r);
    CHECK(rig.control().counters().live == 1);  // still there: the bound ended the wait
  }
}

TEST_CASE("ras: a dropped link is reported with the reason RAS gives", "[ras]") {
  const std::vector<std::pair<const char*, NotifyMode>> modes{
      {"RasConnectionNotification fires", NotifyMode::working},
      {"notifications never fire (polling fallback)", NotifyMode::silent},
      {"RasConnectionNotification is refused", NotifyMode::refused}};
  for (const auto& [name, mode] : modes) {
    DYNAMIC_SECTION(name) {
      Rig rig;
      rig.control().set_notify_mode(mode);
      Recorder r;
      auto c = rig.dial("ok", r);
      REQUIRE(c);
      REQUIRE(r.wait_for_state(State::connected));
      HRASCONN h = rig.handle_of("ok");
      REQUIRE(h != nullptr);
      REQUIRE(rig.control().drop(h, 629));
      REQUIRE(r.wait_for_end());
      const auto e = r.last();
      REQUIRE(e.error);
      CHECK(e.error->code == Errc::peer_hung_up);
      CHECK(e.error->native_code == 629);
      CHECK(e.error->native_text == "The connection was closed by the remote computer. (stand-in)");
      CHECK(c->status().device.device_name == "Stand-in Modem (ok)");  // captured before the handle died
      const auto n = rig.control().counters();
      CHECK(n.hangups == 1);
      CHECK(n.live == 0);
    }
  }
}

TEST_CASE("ras: dialling an entry that is up shares the connection, as RAS counts references", "[ras]") {
  Rig rig;
  Recorder r1, r2;
  auto c1 = rig.dial("ok", r1);
  REQUIRE(c1);
  REQUIRE(r1.wait_for_state(State::connected));
  auto c2 = rig.dial("ok", r2);
  REQUIRE(c2);
  REQUIRE(r2.wait_for_state(State::connected));
  auto live = rig.dialer().connections();
  REQUIRE(live);
  REQUIRE(live->size() == 1);
  CHECK(live->front().started_here);
  REQUIRE(c1->hangup());
  CHECK(rig.control().counters().live == 1);  // the other reference keeps it up
  CHECK(c2->status().state == State::connected);
  REQUIRE(c2->hangup());
  CHECK(rig.control().counters().live == 0);
  CHECK(rig.control().counters().hangups == 2);
}

TEST_CASE("ras: a dial's native_id is the id live_connections() lists for its handle", "[ras]") {
  Rig rig;
  Recorder r;
  auto c = rig.dial("ok", r);
  REQUIRE(c);
  REQUIRE(r.wait_for_state(State::connected));
  auto live = rig.dialer().connections();
  REQUIRE(live);
  REQUIRE(live->size() == 1);
  CHECK(live->front().started_here);
  CHECK(c->status().device.native_id == live->front().id);
  REQUIRE(c->hangup());
  require_local_hangup_end(r);
}

TEST_CASE("ras: entries, live connections and connections others make", "[ras]") {
  Rig rig;
  auto entries = rig.dialer().entries();
  REQUIRE(entries);
  std::vector<std::string> names;
  for (const auto& e : *entries) names.push_back(e.name);
  CHECK(std::find(names.begin(), names.end(), "ok") != names.end());
  CHECK(std::find(names.begin(), names.end(), "wrong-password") != names.end());

  std::mutex m;
  std::condition_variable cv;
  std::vector<Event> seen;
  auto watch = rig.dialer().watch([&](const Event& e) {
    std::lock_guard lock(m);
    seen.push_back(e);
    cv.notify_all();
  });
  REQUIRE(watch);
  HRASCONN other = rig.control().external_connect("someone-elses-vpn");
  REQUIRE(other != nullptr);
  auto has = [&](State s) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, wait_limit, [&] {
      return std::any_of(seen.begin(), seen.end(),
                         [&](const Event& e) { return e.state == s && e.entry == "someone-elses-vpn"; });
    });
  };
  REQUIRE(has(State::connected));
  auto live = rig.dialer().connections();
  REQUIRE(live);
  REQUIRE(live->size() == 1);
  CHECK_FALSE(live->front().started_here);
  CHECK(live->front().id == handle_id(other));
  REQUIRE(rig.control().external_disconnect(other));
  REQUIRE(has(State::disconnected));
  watch->stop();

  HRASCONN another = rig.control().external_connect("dialled-elsewhere");
  REQUIRE(rig.dialer().hangup(handle_id(another)));
  CHECK(rig.control().counters().live == 0);
  CHECK_FALSE(rig.dialer().hangup("ras-0xzz"));
}

// The suite's secret check runs on RAS too (conformance.ras_fake, conformance.ras_wine); what
// only RAS shows is that the canaries reached RasDial and the resume's RasDial.
TEST_CASE("ras: canary passwords reach RasDial, and no event, error, status, diagnostic or trace",
          "[ras][secret]") {
  const std::string first = "CANARY-ras-first-4d1e";
  const std::string second = "CANARY-ras-second-8b2f";
  Rig rig;
  conformance::SecretWitness witness(rig.runtime());
  Recorder r;
  DialOptions o = pausing();
  o.credentials = Credentials{"alice", Secret(first), ""};
  auto c = rig.dial("wrong-password", r, o);
  REQUIRE(c);
  REQUIRE(r.wait_for_state(State::retry_authentication));
  // RAS itself got the canary: the test would prove nothing otherwise.
  CHECK(rig.control().counters().last_password == first);
  REQUIRE(c->resume(Credentials{"alice", Secret(second), ""}));
  REQUIRE(r.wait_for_state(State::retry_authentication, 2));
  CHECK(rig.control().counters().last_password == second);
  witness.add(c->status());
  REQUIRE(c->hangup());
  REQUIRE(r.wait_for_end());
  REQUIRE(witness.wait_for_end(wait_limit));
  for (const auto& canary : {first, second}) {
    INFO(canary);
    CHECK(witness.leaks(canary).empty());
  }
}
