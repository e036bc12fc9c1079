// What core does with a backend's report, given the connection's life so far
// (core/src/life.hpp): accept, drop as a repeat, reject as illegal, redial, end for an unhandled
// pause, or one of the ways a report is dropped while or after the connection ends. One row
// per case of DESIGN.md sections 2, 3 and 10.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "../../core/src/life.hpp"

using namespace dialkit;
using namespace dialkit::detail;

namespace {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::accept: return "accept";
    case Verdict::drop_repeat: return "drop_repeat";
    case Verdict::reject_illegal: return "reject_illegal";
    case Verdict::redial: return "redial";
    case Verdict::end_for_pause: return "end_for_pause";
    case Verdict::drop_late: return "drop_late";
    case Verdict::drop_after_timeout: return "drop_after_timeout";
    case Verdict::keep_native_end: return "keep_native_end";
    case Verdict::drop_moot_pause: return "drop_moot_pause";
  }
  return "?";
}
constexpr int verdict_count = 9;

// A redial policy of three attempts that retries busy lines (the default retry_on).
const RedialPolicy three_tries = [] {
  RedialPolicy p;
  p.attempts = 3;
  return p;
}();

// Lives, by what has been delivered so far.
LifeSoFar fresh() { return {}; }
LifeSoFar at(State last, std::int64_t native = 0) {
  LifeSoFar l;
  l.last = last;
  l.native_code = native;
  return l;
}
LifeSoFar up() {
  LifeSoFar l = at(State::connected);
  l.connected_seen = true;
  return l;
}
LifeSoFar tearing_down() {
  LifeSoFar l = at(State::disconnecting);
  l.disconnecting_seen = true;
  return l;
}
LifeSoFar adopted(std::optional<State> last = std::nullopt) {
  LifeSoFar l;
  l.last = last;
  l.adopted = true;
  return l;
}
LifeSoFar with_reason(LifeSoFar l, std::string reason) {
  l.reason = std::move(reason);
  return l;
}

// Circumstances.
ReportContext dialling() {
  ReportContext c;
  c.redial = &three_tries;
  return c;
}
ReportContext handling_pauses() {
  ReportContext c = dialling();
  c.handles_pauses = true;
  return c;
}
ReportContext at_attempt(std::uint32_t n) {
  ReportContext c = dialling();
  c.attempt = n;
  return c;
}
ReportContext without_redial() {
  ReportContext c;
  return c;
}
ReportContext ended() {
  ReportContext c = dialling();
  c.ended = true;
  return c;
}
ReportContext of_an_earlier_attempt() {
  ReportContext c = at_attempt(2);
  c.current_attempt = false;
  return c;
}
ReportContext hanging_up() {
  ReportContext c = dialling();
  c.ending = true;
  return c;
}
ReportContext timing_out() {
  ReportContext c = hanging_up();
  c.timed_out = true;
  return c;
}

// Reports.
NativeReport report(State s, std::int64_t native = 0) {
  NativeReport r;
  r.state = s;
  r.native_code = native;
  return r;
}
NativeReport failed(Errc code) {
  NativeReport r = report(State::disconnected);
  r.error = make_error(code, "test");
  return r;
}
NativeReport on_link(State s, std::uint32_t link) {
  NativeReport r = report(s);
  r.subentry = link;
  return r;
}
NativeReport because(State s, std::string reason) {
  NativeReport r = report(s);
  r.reason = std::move(reason);
  return r;
}

struct Row {
  const char* what;
  LifeSoFar life;
  ReportContext now;
  NativeReport next;
  Verdict expected;
};

const std::vector<Row>& rows() {
  static const std::vector<Row> table{
      // accept: rule 2's legal lives
      {"a first running state", fresh(), dialling(), report(State::opening_port), Verdict::accept},
      {"a first disconnected (the dial failed at once)", fresh(), dialling(), failed(Errc::unknown_entry),
       Verdict::accept},
      {"connected after running states", at(State::authenticated), dialling(), report(State::connected),
       Verdict::accept},
      {"a pause the caller handles", at(State::authenticating), handling_pauses(),
       report(State::retry_authentication), Verdict::accept},
      {"running again after a pause (resumed)", at(State::retry_authentication), handling_pauses(),
       report(State::authenticating), Verdict::accept},
      {"subentry_connected after connected", up(), dialling(), on_link(State::subentry_connected, 2),
       Verdict::accept},
      {"an adopted connection's first state may be connected", adopted(), dialling(), report(State::connected),
       Verdict::accept},
      {"an adopted connection sees its pauses even unhandled", adopted(State::authenticating), dialling(),
       report(State::retry_authentication), Verdict::accept},
      // accept: rule 3, a repeat that carries something new
      {"a repeat with another native code", at(State::authenticating, 5), dialling(),
       report(State::authenticating, 6), Verdict::accept},
      {"a repeat on another link", up(), dialling(), on_link(State::connected, 2), Verdict::accept},
      {"a repeat with a new reason", with_reason(at(State::disconnecting), "peer"), dialling(),
       because(State::disconnecting, "local"), Verdict::accept},
      // drop_repeat: rule 3
      {"a repeat that carries nothing new", at(State::authenticating, 5), dialling(),
       report(State::authenticating, 5), Verdict::drop_repeat},
      {"a repeat without a reason keeps the last one", with_reason(at(State::disconnecting), "peer"), dialling(),
       report(State::disconnecting), Verdict::drop_repeat},
      // reject_illegal: rule 4
      {"connected as the first state", fresh(), dialling(), report(State::connected), Verdict::reject_illegal},
      {"running states after connected", up(), dialling(), report(State::authenticating),
       Verdict::reject_illegal},
      {"a pause after connected, unhandled", up(), dialling(), report(State::retry_authentication),
       Verdict::reject_illegal},
      {"a pause as the first state, unhandled", fresh(), dialling(), report(State::password_expired),
       Verdict::reject_illegal},
      {"one pause straight after another", at(State::retry_authentication), handling_pauses(),
       report(State::password_expired), Verdict::reject_illegal},
      {"connected during a failed attempt's teardown", tearing_down(), dialling(), report(State::connected),
       Verdict::reject_illegal},
      {"a retryable failure after the life already ended", at(State::disconnected), dialling(),
       failed(Errc::line_busy), Verdict::reject_illegal},
      // redial (section 10)
      {"a busy line on the first of three attempts", at(State::connecting_device), dialling(),
       failed(Errc::line_busy), Verdict::redial},
      {"no answer on the second of three attempts", at(State::connecting_device), at_attempt(2),
       failed(Errc::no_answer), Verdict::redial},
      {"a busy line on the last attempt ends the dial", at(State::connecting_device), at_attempt(3),
       failed(Errc::line_busy), Verdict::accept},
      {"an error not worth a retry ends the dial", at(State::authenticating), dialling(),
       failed(Errc::authentication_failed), Verdict::accept},
      {"no redial after connected", up(), dialling(), failed(Errc::peer_hung_up), Verdict::accept},
      {"no redial without a policy", at(State::connecting_device), without_redial(), failed(Errc::line_busy),
       Verdict::accept},
      {"no redial of an adopted connection", adopted(State::connecting_device), dialling(),
       failed(Errc::line_busy), Verdict::accept},
      {"a clean end is never redialled", at(State::connecting_device), dialling(), report(State::disconnected),
       Verdict::accept},
      // end_for_pause (section 3)
      {"retry_authentication, unhandled", at(State::authenticating), dialling(),
       report(State::retry_authentication), Verdict::end_for_pause},
      {"callback_set_by_caller, unhandled", at(State::auth_callback), dialling(),
       report(State::callback_set_by_caller), Verdict::end_for_pause},
      {"a pause during a failed attempt's teardown, unhandled", tearing_down(), dialling(),
       report(State::retry_authentication), Verdict::end_for_pause},
      // drop_late
      {"anything after the end", at(State::disconnected), ended(), report(State::authenticating),
       Verdict::drop_late},
      {"a report of an earlier attempt", at(State::opening_port), of_an_earlier_attempt(),
       report(State::authenticating), Verdict::drop_late},
      {"an earlier attempt's own disconnected", at(State::opening_port), of_an_earlier_attempt(),
       failed(Errc::line_busy), Verdict::drop_late},
      // while core ends the connection
      {"connected after the timeout fired", at(State::authenticated), timing_out(), report(State::connected),
       Verdict::drop_after_timeout},
      {"connected while a hang-up is under way", at(State::authenticated), hanging_up(),
       report(State::connected), Verdict::accept},
      {"the backend's own disconnected during a hang-up", at(State::authenticated), hanging_up(),
       report(State::disconnected, 9), Verdict::keep_native_end},
      {"the backend's failure during a timeout's hang-up", at(State::authenticated), timing_out(),
       failed(Errc::line_busy), Verdict::keep_native_end},
      {"a pause during a hang-up", at(State::authenticating), hanging_up(), report(State::retry_authentication),
       Verdict::drop_moot_pause},
      {"a handled pause during a hang-up", at(State::authenticating), [] {
         ReportContext c = handling_pauses();
         c.ending = true;
         return c;
       }(),
       report(State::retry_authentication), Verdict::drop_moot_pause},
      {"an adopted connection's pause during a hang-up", adopted(State::authenticating), hanging_up(),
       report(State::retry_authentication), Verdict::accept},
  };
  return table;
}

}  // namespace

TEST_CASE("each report gets the verdict its life so far calls for", "[life][rule2][rule3][rule4]") {
  for (const auto& row : rows()) {
    INFO(row.what << ": expected " << verdict_name(row.expected));
    CHECK(verdict_name(decide(row.life, row.now, row.next)) == std::string(verdict_name(row.expected)));
  }
}

TEST_CASE("the verdict table has a row for every verdict", "[life]") {
  std::set<Verdict> seen;
  for (const auto& row : rows()) seen.insert(row.expected);
  CHECK(seen.size() == verdict_count);
}

TEST_CASE("a delivered report is remembered as the life so far", "[life][rule3]") {
  LifeSoFar life;
  NativeReport dialling_up = report(State::connecting_device, 3);
  remember(life, dialling_up);
  CHECK(life.last == State::connecting_device);
  CHECK(is_repeat(life, dialling_up));
  CHECK_FALSE(is_repeat(life, report(State::connecting_device, 4)));

  // An error stays until a state that settles it; an empty reason keeps the last one.
  NativeReport busy = failed(Errc::line_busy);
  busy.state = State::disconnecting;
  busy.reason = "busy";
  remember(life, busy);
  CHECK(life.disconnecting_seen);
  remember(life, report(State::subentry_disconnected));
  REQUIRE(life.error);
  CHECK(life.error->code == Errc::line_busy);
  CHECK(life.reason == "busy");

  // A redial lets running states follow `disconnecting` once.
  life.redial_started = true;
  CHECK(decide(life, dialling(), report(State::opening_port)) == Verdict::accept);
  remember(life, report(State::opening_port));
  CHECK_FALSE(life.redial_started);
  CHECK_FALSE(life.disconnecting_seen);

  remember(life, report(State::connected));
  CHECK(life.connected_seen);
  CHECK_FALSE(life.error);  // connected settles the failed attempt's error
  CHECK(decide(life, dialling(), report(State::authenticating)) == Verdict::reject_illegal);
}

TEST_CASE("an unhandled pause ends the dial with its matching error", "[life]") {
  CHECK(error_for_unhandled_pause(State::retry_authentication) == Errc::authentication_failed);
  CHECK(error_for_unhandled_pause(State::password_expired) == Errc::password_expired);
  CHECK(error_for_unhandled_pause(State::callback_set_by_caller) == Errc::callback_required);
  CHECK(error_for_unhandled_pause(State::interactive) == Errc::user_input_required);
  CHECK(error_for_unhandled_pause(State::invoke_eap_ui) == Errc::user_input_required);
}
