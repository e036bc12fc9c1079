// The dialer API of DESIGN.md section 3 against a scripted backend: dial, resume with typed
// input, hang-up in every state / twice / from another thread, unhandled pauses, the dial
// timeout, the redial policy, status, watch, backend choice and teardown order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <new>

#include <condition_variable>
#include <thread>

#include <dialkit/redial.hpp>
#include <dialkit/secret.hpp>

#include "script_backend.hpp"

using namespace dialkit;
using namespace dialkit::test;
using namespace std::chrono_literals;

TEST_CASE("the handler is attached before the first event and dial errors come back at once", "[dialer]") {
  InlineFixture f;
  f.log->on_dial = [](SessionLog& s) { s.report(State::opening_port); };  // reports inside dial()
  Collector c;
  auto conn = f.dialer().dial("line", {}, c.slot());
  REQUIRE(conn);
  CHECK(c.size() == 1);
  auto missing = f.dialer().dial("missing");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::unknown_entry);
  auto nobackend = f.runtime.dialer("nope");
  REQUIRE_FALSE(nobackend);
  CHECK(nobackend.error().code == Errc::backend_unavailable);
  CHECK(nobackend.error().detail.find("script") != std::string::npos);  // lists what is loaded
}

TEST_CASE("resume takes the input its paused state accepts, and nothing else", "[dialer][resume]") {
  InlineFixture f;
  DialOptions opts;
  opts.handle_paused_states = true;
  Collector c;
  auto conn = f.dialer().dial("line", opts, c.slot());
  auto s = f.log->session(0);
  s->report(State::opening_port);
  auto early = conn->resume(Credentials{"u", Secret("p"), ""});
  REQUIRE_FALSE(early);
  CHECK(early.error().code == Errc::invalid_state);

  s->report(State::retry_authentication, 0x1001);
  auto wrong = conn->resume(CallbackNumber{"555"});
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == Errc::invalid_argument);
  CHECK(wrong.error().detail == "retry_authentication takes credentials, not callback_number");
  REQUIRE(conn->resume(Credentials{"u", Secret("p"), ""}));
  s->report(State::authenticating, 5);
  s->report(State::password_expired, 0x1003);
  CHECK_FALSE(conn->resume(Credentials{}));
  REQUIRE(conn->resume(NewPassword{Secret("n")}));
  s->report(State::authenticating, 5);
  s->report(State::callback_set_by_caller, 0x1002);
  REQUIRE(conn->resume(CallbackNumber{"555"}));
  s->report(State::waiting_for_callback, 17);
  s->report(State::invoke_eap_ui, 0x1004);
  REQUIRE(conn->resume(EapInput{"x"}));
  s->report(State::authenticated, 14);
  s->report(State::interactive, 0x1000);
  REQUIRE(conn->resume(TerminalDone{}));
  s->report(State::connected, 0x2000);
  std::lock_guard lock(s->mutex);
  CHECK(s->resumes == std::vector<std::string>{"credentials", "new_password", "callback_number", "eap_input",
                                               "terminal_done"});
}

TEST_CASE("a caller that does not handle pauses gets disconnected with the matching error",
          "[dialer][resume]") {
  const std::pair<State, Errc> cases[] = {{State::retry_authentication, Errc::authentication_failed},
                                          {State::password_expired, Errc::password_expired},
                                          {State::callback_set_by_caller, Errc::callback_required},
                                          {State::invoke_eap_ui, Errc::user_input_required},
                                          {State::interactive, Errc::user_input_required}};
  for (auto [paused, errc] : cases) {
    INFO(state_name(paused));
    InlineFixture f;
    Collector c;
    auto conn = f.dialer().dial("line", {}, c.slot());
    auto s = f.log->session(0);
    s->report(State::authenticating, 5);
    s->report(paused, 0x1001, "native-pause");
    f.clock->run_until_idle();
    CHECK(s->hangups == 1);
    REQUIRE(c.states() == std::vector<State>{State::authenticating, State::disconnected});
    REQUIRE(c.at(1).error);
    CHECK(c.at(1).error->code == errc);
    CHECK(c.at(1).error->native_code == 0x1001);
    CHECK(c.at(1).error->native_text == "native-pause");
  }
}

TEST_CASE("hang-up works in every state, twice, and returns after the backend released",
          "[dialer][hangup]") {
  for (const auto& info : state_table) {
    if (info.state == State::disconnected) continue;
    INFO(info.name);
    InlineFixture f;
    DialOptions opts;
    opts.handle_paused_states = true;
    Collector c;
    auto conn = f.dialer().dial("line", opts, c.slot());
    auto s = f.log->session(0);
    bool released = false;
    s->on_hangup = [&] { released = true; };
    if (info.state != State::opening_port) s->report(State::opening_port);
    s->report(info.state, 77);
    REQUIRE(conn->hangup());
    CHECK(released);
    REQUIRE(conn->hangup());  // twice: fine, and the backend is not asked again
    CHECK(s->hangups == 1);
    const auto events = c.states();
    REQUIRE(events.back() == State::disconnected);
    CHECK(c.at(c.size() - 1).reason == "local hang-up");
    CHECK(c.at(c.size() - 1).native_code == 77);  // no native end reported: the last code is kept
    s->report(State::connected, 1);  // the backend is too late: nothing after disconnected
    CHECK(c.states() == events);
    CHECK(conn->status().state == State::disconnected);
    CHECK(conn->ended());
  }
}

TEST_CASE("a backend's own disconnected during hang-up gives the final event its native code",
          "[dialer][hangup]") {
  InlineFixture f;
  Collector c;
  auto conn = f.dialer().dial("line", {}, c.slot());
  auto s = f.log->session(0);
  s->on_hangup = [s = s.get()] {  // raw pointer: the log owns this hook
    s->report(State::disconnecting, 9, "PHASE_TERMINATE");
    s->report(State::disconnected, 0, "PHASE_DEAD");
  };
  s->report(State::opening_port, 1, "spawned");
  s->report(State::connected, 8, "ip-up");
  REQUIRE(conn->hangup());
  REQUIRE(c.states() == std::vector<State>{State::opening_port, State::connected, State::disconnecting,
                                           State::disconnected});
  const auto last = c.at(3);
  CHECK(last.native_code == 0);
  CHECK(last.native_name == "PHASE_DEAD");
  CHECK(last.reason == "local hang-up");
  CHECK_FALSE(last.error);
}

TEST_CASE("hang-up from several threads at once calls the backend once and all return after release",
          "[dialer][hangup]") {
  auto log = std::make_shared<BackendLog>();
  RuntimeOptions o;
  o.load_plugins = false;
  Runtime rt(o);
  rt.add_backend(std::make_shared<ScriptFactory>(log));
  Collector c;
  auto conn = rt.dialer("script")->dial("line", {}, c.slot());
  auto s = log->session(0);
  std::atomic<bool> released{false};
  s->on_hangup = [&] {
    std::this_thread::sleep_for(50ms);  // a backend that takes a while to release
    released = true;
  };
  s->report(State::opening_port);
  // Catch2's assertions are not thread-safe: threads record, the test thread asserts.
  std::atomic<int> returned_before_release{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      if (!conn->hangup()) failed++;
      if (!released) returned_before_release++;
    });
  for (auto& t : threads) t.join();
  CHECK(failed == 0);
  CHECK(returned_before_release == 0);
  CHECK(s->hangups == 1);
  REQUIRE(conn->wait_until_ended(10s));
  CHECK(c.states().back() == State::disconnected);
}

TEST_CASE("the dial timeout ends a dial that is not connected in time (virtual time)", "[dialer][timeout]") {
  InlineFixture f;
  DialOptions opts;
  opts.timeout = 30s;
  Collector c;
  auto conn = f.dialer().dial("line", opts, c.slot());
  auto s = f.log->session(0);
  s->report(State::connecting_device, 2);
  f.clock->advance(29s);
  CHECK(c.size() == 1);
  f.clock->advance(2s);
  REQUIRE(c.size() == 2);
  CHECK(c.at(1).state == State::disconnected);
  REQUIRE(c.at(1).error);
  CHECK(c.at(1).error->code == Errc::timeout);
  CHECK(c.at(1).reason == "timeout");
  CHECK(conn->status().reason == "timeout");
  CHECK(s->hangups == 1);

  // Connected in time: no timeout later.
  Collector ok;
  auto conn2 = f.dialer().dial("line", opts, ok.slot());
  auto s2 = f.log->session(1);
  s2->report(State::opening_port);
  s2->report(State::connected, 1);
  f.clock->advance(60s);
  CHECK(ok.states() == std::vector<State>{State::opening_port, State::connected});
  CHECK(s2->hangups == 0);
}

TEST_CASE("a timeout never fires after connected, however fast the backend reports it", "[dialer][timeout]") {
  InlineFixture f;
  DialOptions opts;
  opts.timeout = 1s;
  SECTION("connected reported from inside the backend's dial()") {
    // The fastest a backend can be: its first reports, `connected` included, come before
    // dial() has even returned to core.
    f.log->on_dial = [](SessionLog& s) {
      s.report(State::opening_port);
      s.report(State::connected, 1);
    };
    Collector c;
    auto conn = f.dialer().dial("line", opts, c.slot());
    REQUIRE(conn);
    f.clock->advance(5s);
    CHECK(c.states() == std::vector<State>{State::opening_port, State::connected});
    CHECK(conn->status().state == State::connected);
    CHECK(f.log->session(0)->hangups == 0);
    REQUIRE(conn->hangup());
    CHECK(c.at(c.size() - 1).reason == "local hang-up");
  }
  SECTION("connected reported while the timeout is ending the dial is not delivered") {
    // The timer fired first: the dial ends with the timeout, and the `connected` the backend
    // reports while it is being hung up is dropped, so nobody sees connected, then a timeout.
    Collector c;
    auto conn = f.dialer().dial("line", opts, c.slot());
    REQUIRE(conn);
    auto s = f.log->session(0);
    s->on_hangup = [&s] { s->report(State::connected, 1); };
    s->report(State::opening_port);
    f.clock->advance(2s);
    CHECK(c.states() == std::vector<State>{State::opening_port, State::disconnected});
    REQUIRE(c.at(1).error);
    CHECK(c.at(1).error->code == Errc::timeout);
    CHECK(c.at(1).reason == "timeout");
    CHECK(s->hangups == 1);
  }
  SECTION("a dial() that fails leaves no timer behind") {
    Collector c;
    auto conn = f.dialer().dial("missing", opts, c.slot());
    REQUIRE_FALSE(conn);
    f.clock->advance(5s);
    CHECK(c.size() == 0);
    CHECK(f.clock->pending() == 0);
  }
}

TEST_CASE("the redial policy retries busy lines under the same connection", "[dialer][redial]") {
  InlineFixture f;
  DialOptions opts;
  opts.redial.attempts = 3;
  opts.redial.initial_delay = 5s;
  Collector c;
  auto conn = f.dialer().dial("line", opts, c.slot());
  REQUIRE(f.log->count() == 1);
  f.log->session(0)->report(State::connecting_device, 2);
  f.log->session(0)->report_error(Errc::line_busy, 676);
  REQUIRE(c.size() == 2);
  CHECK(c.at(1).state == State::disconnecting);
  REQUIRE(c.at(1).error);
  CHECK(c.at(1).error->code == Errc::line_busy);
  f.clock->advance(4s);
  CHECK(f.log->count() == 1);
  f.clock->advance(2s);
  REQUIRE(f.log->count() == 2);
  CHECK(f.log->session(1)->request.attempt == 2);
  f.log->session(0)->report(State::opening_port);  // the old attempt is over: dropped
  f.log->session(1)->report(State::opening_port);
  f.log->session(1)->report(State::connected, 1);
  const auto states = c.states();
  CHECK(states == std::vector<State>{State::connecting_device, State::disconnecting, State::opening_port,
                                     State::connected});
  CHECK(c.at(2).attempt == 2);
  CHECK(c.at(3).seq == 4);
  CHECK(conn->status().attempt == 2);
}

TEST_CASE("a failed attempt reported twice starts one next attempt, not two", "[dialer][redial]") {
  InlineFixture f;
  DialOptions opts;
  opts.redial.attempts = 3;
  opts.redial.initial_delay = 1s;
  Collector c;
  auto conn = f.dialer().dial("line", opts, c.slot());
  REQUIRE(conn);
  SECTION("the same error twice (the second is a repeat)") {
    f.log->session(0)->report_error(Errc::line_busy, 676);
    f.log->session(0)->report_error(Errc::line_busy, 676);
  }
  SECTION("two retryable errors for the one attempt") {
    f.log->session(0)->report_error(Errc::line_busy, 676);
    f.log->session(0)->report_error(Errc::no_answer, 678);
  }
  f.clock->run_until_idle();
  // One attempt 2, and no attempt 3 that nobody asked for.
  REQUIRE(f.log->count() == 2);
  CHECK(f.log->session(1)->request.attempt == 2);
  CHECK(conn->status().attempt == 2);
}

TEST_CASE("redial gives up on errors not worth a retry and after the last attempt", "[dialer][redial]") {
  InlineFixture f;
  DialOptions opts;
  opts.redial.attempts = 2;
  opts.redial.initial_delay = 1s;
  Collector c;
  auto conn = f.dialer().dial("line", opts, c.slot());
  f.log->session(0)->report_error(Errc::no_answer, 678);
  f.clock->run_until_idle();
  REQUIRE(f.log->count() == 2);
  f.log->session(1)->report_error(Errc::no_answer, 678);
  f.clock->run_until_idle();
  CHECK(f.log->count() == 2);
  CHECK(c.states() == std::vector<State>{State::disconnecting, State::disconnected});
  CHECK(c.at(1).error->code == Errc::no_answer);

  Collector auth;
  auto conn2 = f.dialer().dial("line", opts, auth.slot());
  f.log->session(2)->report_error(Errc::authentication_failed, 691);
  f.clock->run_until_idle();
  CHECK(f.log->count() == 3);
  CHECK(auth.states() == std::vector<State>{State::disconnected});

  RedialPolicy p;
  p.initial_delay = 1000ms;
  p.backoff = 2.0;
  p.max_delay = 3000ms;
  CHECK(p.delay_before(2) == 1000ms);
  CHECK(p.delay_before(3) == 2000ms);
  CHECK(p.delay_before(4) == 3000ms);
}

TEST_CASE("hang-up during the redial wait ends the connection", "[dialer][redial][hangup]") {
  InlineFixture f;
  DialOptions opts;
  opts.redial.attempts = 3;
  Collector c;
  auto conn = f.dialer().dial("line", opts, c.slot());
  f.log->session(0)->report_error(Errc::line_busy, 676);
  REQUIRE(conn->hangup());
  f.clock->run_until_idle();
  CHECK(f.log->count() == 1);
  CHECK(c.states() == std::vector<State>{State::disconnecting, State::disconnected});
  CHECK(c.at(1).reason == "local hang-up");
}

TEST_CASE("status answers state, error, native code and device at any time", "[dialer][status]") {
  InlineFixture f;
  auto conn = f.dialer().dial("line");
  CHECK(conn->status().state == State::opening_port);
  auto s = f.log->session(0);
  s->report(State::authenticating, 5, "PHASE_AUTHENTICATE");
  auto st = conn->status();
  CHECK(st.state == State::authenticating);
  CHECK(st.group() == StateGroup::running);
  CHECK(st.native_code == 5);
  CHECK(st.native_name == "PHASE_AUTHENTICATE");
  CHECK(st.device.device_name == "script0");
  CHECK(st.device.device_type == "modem");
  s->report_error(Errc::negotiation_failed, 10);
  st = conn->status();
  CHECK(st.state == State::disconnected);
  REQUIRE(st.error);
  CHECK(st.error->code == Errc::negotiation_failed);
}

TEST_CASE("watch reports connections this process did not start, each as its own connection",
          "[dialer][watch]") {
  InlineFixture f;
  Collector c;
  auto d = f.dialer();
  auto w = d.watch(c.slot());
  REQUIRE(w);
  REQUIRE(f.log->watch_sink);
  NativeReport up;
  up.state = State::connected;
  up.native_code = 100;
  f.log->watch_sink->report("ppp0", "isp", up);
  f.log->watch_sink->report("ppp1", "work", up);
  NativeReport down;
  down.state = State::disconnected;
  f.log->watch_sink->report("ppp0", "isp", down);
  REQUIRE(c.size() == 3);
  CHECK(c.at(0).connection != c.at(1).connection);
  CHECK(c.at(0).entry == "isp");
  CHECK(c.at(0).seq == 1);
  CHECK(c.at(2).connection == c.at(0).connection);
  CHECK(c.at(2).seq == 2);
  // The same native connection coming back is a new connection.
  f.log->watch_sink->report("ppp0", "isp", up);
  REQUIRE(c.size() == 4);
  CHECK(c.at(3).connection != c.at(0).connection);
  w->stop();
  f.log->watch_sink->report("ppp1", "work", down);
  CHECK(c.size() == 4);
}

TEST_CASE("watching never hangs up what it watches: not when the watch stops, not at teardown",
          "[dialer][watch][teardown]") {
  const bool stop_first = GENERATE(true, false);
  CAPTURE(stop_first);
  auto log = std::make_shared<BackendLog>();
  Collector watched;
  Collector own;
  {
    RuntimeOptions o;
    o.load_plugins = false;
    o.delivery = RuntimeOptions::Delivery::inline_delivery;
    Runtime rt(o);
    rt.add_backend(std::make_shared<ScriptFactory>(log));
    auto d = *rt.dialer("script");
    auto w = d.watch(watched.slot());
    REQUIRE(w);
    REQUIRE(log->watch_sink);
    NativeReport up;
    up.state = State::connected;
    up.native_code = 100;
    log->watch_sink->report("ppp0", "isp", up);  // started by somebody else (nmcli, the desktop)
    NativeReport dialling;
    dialling.state = State::connecting_device;
    log->watch_sink->report("ppp1", "work", dialling);
    REQUIRE(watched.size() == 2);
    // And one dial this runtime started itself.
    auto mine = d.dial("line", {}, own.slot());
    REQUIRE(mine);
    log->session(0)->report(State::opening_port);
    log->session(0)->report(State::connected, 1);
    if (stop_first) {
      w->stop();
      CHECK(log->live_hangups == 0);
    }
  }
  // Neither the watch's end nor the runtime's touched the watched connections ...
  CHECK(log->live_hangups == 0);
  CHECK(watched.size() == 2);
  // ... while the dial the runtime started was hung up, as before.
  CHECK(log->session(0)->hangups == 1);
  CHECK(log->shutdowns == 1);
}

TEST_CASE("a watched connection ends only when asked by id", "[dialer][watch]") {
  InlineFixture f;
  Collector c;
  auto d = f.dialer();
  auto w = d.watch(c.slot());
  REQUIRE(w);
  NativeReport up;
  up.state = State::connected;
  f.log->watch_sink->report("ppp0", "isp", up);
  REQUIRE(d.hangup("ppp0"));
  CHECK(f.log->live_hangups == 1);
}

TEST_CASE("the default backend skips fakes and unusable ones and says why", "[dialer][backends]") {
  auto log = std::make_shared<BackendLog>();
  RuntimeOptions o;
  o.load_plugins = false;
  Runtime rt(o);
  rt.add_backend(std::make_shared<ScriptFactory>(log, "fake", true));
  rt.add_backend(std::make_shared<ScriptFactory>(log, "absent", false, false));
  auto none = rt.default_dialer();
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::backend_unavailable);
  CHECK(none.error().detail.find("absent") != std::string::npos);
  CHECK(none.error().detail.find("no such platform here") != std::string::npos);
  auto byname = rt.dialer("absent");
  REQUIRE_FALSE(byname);
  CHECK(byname.error().detail.find("not usable here") != std::string::npos);
  rt.add_backend(std::make_shared<ScriptFactory>(log, "real"));
  auto some = rt.default_dialer();
  REQUIRE(some);
  CHECK(some->backend_name() == "real");
  auto list = rt.backends();
  REQUIRE(list.size() == 3);
  CHECK(list[0].is_fake);
  CHECK(list[1].unusable);
  CHECK(list[2].path == "(built in)");
}

TEST_CASE("a backend's settings reach its probe", "[dialer][backends]") {
  auto log = std::make_shared<BackendLog>();
  RuntimeOptions o;
  o.load_plugins = false;
  o.backend_options["script"]["refuse"] = "no bus here";
  Runtime rt(o);
  rt.add_backend(std::make_shared<ScriptFactory>(log));
  auto d = rt.dialer("script");
  REQUIRE_FALSE(d);
  CHECK(d.error().detail.find("refused by option: no bus here") != std::string::npos);
  auto list = rt.backends();
  REQUIRE(list.size() == 1);
  REQUIRE(list[0].unusable);
  CHECK(list[0].unusable->detail == "refused by option: no bus here");
}

TEST_CASE("teardown drops subscriptions, hangs up, stops backends, then destroys backends", "[dialer][teardown]") {
  auto log = std::make_shared<BackendLog>();
  Collector c;
  std::optional<Connection> kept;
  {
    RuntimeOptions o;
    o.load_plugins = false;
    o.delivery = RuntimeOptions::Delivery::inline_delivery;  // delivered before teardown starts
    Runtime rt(o);
    rt.add_backend(std::make_shared<ScriptFactory>(log));
    kept = *rt.dialer("script")->dial("line", {}, c.slot());
    log->session(0)->report(State::opening_port);
    log->session(0)->report(State::connected, 1);
  }
  CHECK(log->session(0)->hangups == 1);
  CHECK(log->shutdowns == 1);
  CHECK(log->destroyed == 1);
  // Subscriptions were dropped before the hang-up: the slot saw no teardown event.
  CHECK(c.states() == std::vector<State>{State::opening_port, State::connected});
  // A handle that outlives its runtime fails cleanly.
  auto late = kept->resume(TerminalDone{});
  REQUIRE_FALSE(late);
  CHECK(late.error().code == Errc::backend_unavailable);
  CHECK(kept->hangup());
}

TEST_CASE("secrets are wiped and never printed", "[secret]") {
  Secret s("canary-password");
  CHECK(s.reveal() == "canary-password");
  Secret moved(std::move(s));
  CHECK(s.empty());  // NOLINT: moved-from is defined as empty and wiped
  CHECK(moved.reveal() == "canary-password");
  std::string raw = "abcdef";
  secure_wipe(raw);
  CHECK(raw.empty());
  char buf[4] = {'a', 'b', 'c', 'd'};
  secure_wipe(buf, sizeof buf);
  CHECK((buf[0] == 0 && buf[3] == 0));
}

TEST_CASE("a Secret's bytes are zero after clear() and after it is destroyed", "[secret]") {
  SECTION("a long value on the heap: clear() keeps the buffer and zeroes all of it") {
    const std::string value(100, 'k');
    Secret s(value);
    const char* buffer = s.reveal().data();
    s.clear();
    CHECK(s.empty());
    // The string keeps its buffer after clear(): still ours to read.
    CHECK(s.reveal().data() == buffer);
    CHECK(std::all_of(buffer, buffer + value.size(), [](char c) { return c == 0; }));
  }
  SECTION("a short value inside the object: no byte of it is left once destroyed") {
    alignas(Secret) unsigned char storage[sizeof(Secret)];
    auto* s = new (storage) Secret("pw-9z");
    CHECK(s->reveal() == "pw-9z");
    s->~Secret();
    const std::string_view bytes(reinterpret_cast<const char*>(storage), sizeof storage);
    CHECK(bytes.find("pw-9z") == std::string_view::npos);
    CHECK(bytes.find("pw") == std::string_view::npos);
  }
}

TEST_CASE("a dial whose handle was dropped still runs to its end", "[dialer][lifetime]") {
  InlineFixture f;
  Collector c;
  (void)f.dialer().dial("line", {}, c.slot());  // the handle is dropped at once
  auto s = f.log->session(0);
  s->report(State::opening_port);
  s->report(State::connected, 1);
  s->report_error(Errc::peer_hung_up, 16);
  CHECK(c.states() == std::vector<State>{State::opening_port, State::connected, State::disconnected});
  CHECK(s->hangups == 0);
}

TEST_CASE("teardown hangs up a dial whose handle was dropped, without running slots", "[dialer][lifetime]") {
  auto log = std::make_shared<BackendLog>();
  auto calls = std::make_shared<std::atomic<int>>(0);
  {
    RuntimeOptions o;
    o.load_plugins = false;
    o.delivery = RuntimeOptions::Delivery::inline_delivery;
    Runtime rt(o);
    rt.add_backend(std::make_shared<ScriptFactory>(log));
    (void)rt.dialer("script")->dial("line", {}, [calls](const Event&) { calls->fetch_add(1); });
    log->session(0)->report(State::opening_port);
    log->session(0)->report(State::connected, 1);
    CHECK(calls->load() == 2);
  }
  CHECK(log->session(0)->hangups == 1);  // hung up, not left running
  CHECK(calls->load() == 2);             // and no slot ran during destruction
}

TEST_CASE("a slot never waits for a hang-up that waits for the slot's thread", "[dialer][hangup][rule6]") {
  // Inline delivery on a backend thread B; the test thread hangs up, and the backend's
  // hangup() waits for B, which is inside a slot that calls hangup() and resume() itself.
  InlineFixture f;
  std::mutex m;
  std::condition_variable cv;
  bool in_slot = false, main_hanging = false, b_done = false;
  Result<void> slot_hangup, slot_resume;
  DialOptions opts;
  opts.handle_paused_states = true;
  std::optional<Connection> conn;
  conn = *f.dialer().dial("line", opts, [&](const Event& e) {
    if (e.state != State::retry_authentication) return;
    std::unique_lock lock(m);
    in_slot = true;
    cv.notify_all();
    cv.wait_for(lock, 10s, [&] { return main_hanging; });
    lock.unlock();
    slot_hangup = conn->hangup();                          // must not wait for the test thread
    slot_resume = conn->resume(Credentials{"u", Secret("p"), ""});  // nor block on the lock
    lock.lock();
    b_done = true;
    cv.notify_all();
  });
  auto s = f.log->session(0);
  bool backend_waited_ok = false;
  s->on_hangup = [&] {
    std::unique_lock lock(m);
    main_hanging = true;
    cv.notify_all();
    backend_waited_ok = cv.wait_for(lock, 10s, [&] { return b_done; });
  };
  std::thread b([&] {
    s->report(State::authenticating, 5);
    s->report(State::retry_authentication, 0x1001);
  });
  bool entered = false;
  {
    std::unique_lock lock(m);
    entered = cv.wait_for(lock, 10s, [&] { return in_slot; });
  }
  if (!entered) {
    b.join();
    FAIL("the slot never ran on the backend thread");
  }
  REQUIRE(conn->hangup());
  b.join();
  CHECK(backend_waited_ok);
  CHECK(slot_hangup.has_value());
  REQUIRE_FALSE(slot_resume.has_value());
  CHECK(slot_resume.error().code == Errc::invalid_state);
  CHECK(conn->ended());
}
