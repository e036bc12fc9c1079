// Linux-only RAS tests against the fake table: scripts the stand-in's catalogue has no entry
// for (the notifier's "return 0" rule), the backend's input checks and settings.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mapping.hpp"

#include "emulator.hpp"
#include "harness.hpp"

namespace dialkit::ras::test {
rasemu::Emulator& emulator_of(Control& control);
}

using namespace dialkit;
using namespace dialkit::ras;
using namespace dialkit::ras::test;

TEST_CASE("ras fake: a notifier that returns 0 gets no more notifications, for any subentry", "[ras]") {
  Rig rig;
  auto& emu = emulator_of(rig.control());
  // RAS says Disconnected mid-dial (no error code); the emulator would go on notifying both
  // links, but the backend's 0 stops it.
  rasemu::Script s;
  s.steps = {{0, 0, 1}, {0, 0, 2}, {1, 0, 1}, {0x2001, 0, 1}, {1, 0, 2}, {2, 0, 1}, {2, 0, 2}, {0x2000, 0, 0}};
  emu.add("drops-mid-dial", s);
  Recorder r;
  auto c = rig.dial("drops-mid-dial", r);
  REQUIRE(c);
  REQUIRE(r.wait_for_end());
  const std::vector<State> expected{State::opening_port, State::opening_port, State::port_opened,
                                    State::disconnected};
  CHECK(r.states() == expected);
  CHECK(r.last().error->code == Errc::connect_failed);
  const auto rec = emu.record();
  CHECK(rec.zero_returns == 1);
  // No notification after the 0: the four made are the four before it. The stand-in counts the
  // later steps it reaches as suppressed, but the backend's RasHangUp for the Disconnected may
  // end its walk first (a busy machine showed 0), so that count is bounded, not exact.
  CHECK(rec.notifications == 4);
  CHECK(rec.suppressed <= 4);  // both subentries' later states, and Connected
  CHECK(emu.live() == 0);
}

TEST_CASE("ras fake: a notification for a dial that is gone is told to stop", "[ras]") {
  Rig rig;
  auto& emu = emulator_of(rig.control());
  Recorder r;
  {
    auto c = rig.dial("ok", r);
    REQUIRE(c);
    REQUIRE(r.wait_for_state(State::connected));
    REQUIRE(c->hangup());
  }
  // A second dial of the same entry while none is up: a fresh connection, fresh notifications.
  Recorder r2;
  auto c2 = rig.dial("ok", r2);
  REQUIRE(c2);
  REQUIRE(r2.wait_for_state(State::connected));
  CHECK(emu.record().zero_returns == 0);
  REQUIRE(c2->hangup());
}

TEST_CASE("ras fake: resume input RAS cannot carry is refused before RAS sees it", "[ras]") {
  Rig rig;
  Recorder r;
  DialOptions o;
  o.handle_paused_states = true;
  auto c = rig.dial("callback", r, o);
  REQUIRE(c);
  REQUIRE(r.wait_for_state(State::callback_set_by_caller));
  auto too_long = c->resume(CallbackNumber{std::string(200, '5')});
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().code == Errc::invalid_argument);
  auto wrong_kind = c->resume(TerminalDone{});
  REQUIRE_FALSE(wrong_kind);  // core checks the kind
  CHECK(emulator_of(rig.control()).record().resumes == 0);
  REQUIRE(c->resume(CallbackNumber{"555-0123"}));
  REQUIRE(r.wait_for_state(State::connected));
  REQUIRE(c->hangup());
}

TEST_CASE("ras fake: the first RasDial asks for paused states only when the caller handles them", "[ras]") {
  Rig rig;
  Recorder r;
  auto c = rig.dial("wrong-password", r);
  REQUIRE(c);
  REQUIRE(r.wait_for_end());
  CHECK(r.count(State::retry_authentication) == 0);
  CHECK(emulator_of(rig.control()).record().last_callback.empty());  // no "*" without pauses
}

TEST_CASE("ras fake: the factory declares everything RasDial takes", "[ras][capabilities]") {
  const auto declared = make_factory()->capabilities();
  for (const auto& info : dial_option_table) {
    INFO(info.name);
    CHECK(declared.honours(info.option));
  }
  for (const auto& info : state_table) {
    INFO(info.name);
    CHECK(declared.can_pause(info.state) == (info.group == StateGroup::paused));
  }
  CHECK(declared.watch == WatchKind::events);
  CHECK(declared.hangup_by_id);
  CHECK_FALSE(declared.idle_disconnect);
}

TEST_CASE("ras fake: backend options are checked", "[ras]") {
  CHECK(settings_from_options({{"poll_ms", "5"}, {"phonebook", "C:\\x.pbk"}}).value().poll_interval.count() == 5);
  CHECK_FALSE(settings_from_options({{"poll_ms", "-1"}}));
  CHECK_FALSE(settings_from_options({{"hangup_limit_ms", "soon"}}));
  auto factory = make_factory();  // the system loader: no RAS here
  CHECK(factory->name() == "ras");
  REQUIRE_FALSE(factory->probe());
  CHECK(factory->probe().error().code == Errc::backend_unavailable);
}

TEST_CASE("ras fake: a phone-book RAS cannot open is an error with its code", "[ras]") {
  Rig rig(std::map<std::string, std::string>{{"phonebook", "missing.pbk"}});
  auto entries = rig.dialer().entries();
  REQUIRE_FALSE(entries);
  CHECK(entries.error().native_code == 621);
}

namespace {
// What the backend hands to BackendContext::failed, waited for.
struct Failures {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> texts;
  BackendFailure hook() {
    return [this](const std::string& what) {
      std::lock_guard lock(mutex);
      texts.push_back(what);
      cv.notify_all();
    };
  }
  std::optional<std::string> wait() {
    std::unique_lock lock(mutex);
    if (!cv.wait_for(lock, wait_limit, [&] { return !texts.empty(); })) return std::nullopt;
    return texts.front();
  }
};

BackendContext fast_context(Failures& failures) {
  BackendContext ctx;
  ctx.options = {{"poll_ms", "1"}, {"hangup_limit_ms", "3000"}, {"watch_poll_ms", "20"}};
  ctx.failed = failures.hook();
  return ctx;
}
}  // namespace

TEST_CASE("ras fake: an exception on the dial thread hangs up and reaches BackendContext::failed", "[ras]") {
  auto model = make_model();
  auto& emu = emulator_of(*model.control);
  Failures failures;
  auto backend = make_factory(model.loader)->create(fast_context(failures));
  REQUIRE(backend);
  // Fails the way a bug or an exhausted heap would, on the backend's worker.
  struct ThrowingReporter final : Reporter {
    void report(NativeReport r) override {
      if (r.state == State::connected) throw std::runtime_error("the test's reporter refuses connected");
    }
  };
  DialRequest request;
  request.entry = "ok";
  auto session = (*backend)->dial(request, std::make_shared<ThrowingReporter>());
  REQUIRE(session);
  const auto what = failures.wait();
  REQUIRE(what);
  CHECK(*what == "the RAS dial thread of \"ok\" threw: the test's reporter refuses connected");
  // RAS let go of the connection before core was told.
  CHECK(emu.live() == 0);
  (*session)->hangup();  // nothing left to hang up: returns at once, reports nothing
  session->reset();
  backend->reset();
  std::lock_guard lock(failures.mutex);
  CHECK(failures.texts.size() == 1);
}

TEST_CASE("ras fake: an exception on the watch thread reaches BackendContext::failed", "[ras]") {
  auto model = make_model();
  Failures failures;
  auto backend = make_factory(model.loader)->create(fast_context(failures));
  REQUIRE(backend);
  struct ThrowingSink final : WatchSink {
    void report(const std::string&, const std::string&, NativeReport) override {
      throw std::runtime_error("the test's sink refuses");
    }
  };
  auto watch = (*backend)->watch(std::make_shared<ThrowingSink>());
  REQUIRE(watch);
  const auto handle = model.control->external_connect("ok");
  REQUIRE(handle);
  const auto what = failures.wait();
  REQUIRE(what);
  CHECK(*what == "the RAS backend's watch thread threw: the test's sink refuses");
  watch->reset();  // its thread has ended: joins at once
  CHECK(model.control->external_disconnect(handle));
  backend->reset();
}

TEST_CASE("ras fake: a phone number and a callback number reach RasDial, and too long ones are refused, named, "
          "before RasDial",
          "[ras]") {
  Rig rig;
  auto& emu = emulator_of(rig.control());
  SECTION("honoured") {
    Recorder r;
    DialOptions o;
    o.phone_number = "0800-5550123";
    o.callback_number = "555-0199";
    auto c = rig.dial("ok", r, o);
    REQUIRE(c);
    REQUIRE(r.wait_for_state(State::connected));
    CHECK(c->status().device.phone_number == "0800-5550123");  // RasGetConnectStatus echoes the number dialled
    CHECK(emu.record().last_callback == "555-0199");
    REQUIRE(c->hangup());
  }
  SECTION("too long") {
    struct Case {
      std::optional<std::string> phone, callback;
      const char* named;
    };
    for (const auto& k : {Case{std::string(200, '5'), std::nullopt, "the phone number (--phone)"},
                          Case{std::nullopt, std::string(200, '5'), "the callback number (--callback)"}}) {
      Recorder r;
      DialOptions o;
      o.phone_number = k.phone;
      o.callback_number = k.callback;
      auto c = rig.dial("ok", r, o);
      REQUIRE_FALSE(c);
      CHECK(c.error().code == Errc::invalid_argument);
      CHECK_THAT(c.error().detail, Catch::StartsWith(k.named));
      CHECK(r.events().empty());
    }
    CHECK(emu.record().dials == 0);
  }
}
