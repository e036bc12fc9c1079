// Waiting on the mock, in virtual time (the wait runs the scheduler) and in real time:
// Connection::wait_for by state and by predicate, ended first, timed out; Dialer::dial_and_wait;
// the one-shot completion callback; slots that receive the connection.
#include "mock_harness.hpp"

#include <atomic>
#include <mutex>

using namespace mock_test;
using dialkit::DialOutcome;
using dialkit::Errc;
using dialkit::WaitStatus;
namespace mock = dialkit::mock;

namespace {

dialkit::DialOptions answering_pauses(const char* password) {
  dialkit::DialOptions o;
  o.credentials = dialkit::Credentials{"alice", dialkit::Secret(password), ""};
  o.handle_paused_states = true;
  return o;
}

// A real-time runtime (dispatcher thread, real scheduler): `fast` goes through authenticating.
struct RealTime : FastSlowRuntime {
  RealTime() : FastSlowRuntime({}, {State::opening_port, State::authenticating, State::connected}) {}
};

}  // namespace

TEST_CASE("wait_for a state: the event that reached it, and a state already reached answers at once",
          "[wait][virtual]") {
  Harness h;
  auto c = h.dial("success");
  auto up = c.wait_for(State::connected, 1min);
  REQUIRE(up.status == WaitStatus::satisfied);
  CHECK(up);
  REQUIRE(up.event.has_value());
  CHECK(up.event->state == State::connected);
  CHECK(up.event->seq == h.events.back().seq);
  // The latest event counts: connected already, so no scheduler step is needed.
  const auto before = h.scheduler->now();
  auto again = c.wait_for(State::connected, 1min);
  CHECK(again.status == WaitStatus::satisfied);
  CHECK(again.event->replayed);
  CHECK(h.scheduler->now() == before);
  REQUIRE(c.hangup().has_value());
}

TEST_CASE("wait_for a predicate stops at the first event it holds for", "[wait][virtual]") {
  Harness h;
  auto c = h.dial("success");
  auto auth = c.wait_for([](const dialkit::Event& e) { return e.state == State::authenticating; }, 1min);
  REQUIRE(auth.status == WaitStatus::satisfied);
  CHECK(auth.event->state == State::authenticating);
  CHECK(h.last_state() == State::authenticating);  // nothing ran beyond it
  CHECK_FALSE(c.ended());
  REQUIRE(c.hangup().has_value());
}

TEST_CASE("wait_for: the end first is ended_first with the final disconnected", "[wait][virtual]") {
  Harness h;
  auto c = h.dial("busy");
  auto up = c.wait_for(State::connected, 1min);
  CHECK(up.status == WaitStatus::ended_first);
  CHECK_FALSE(up);
  REQUIRE(up.event.has_value());
  CHECK(up.event->state == State::disconnected);
  REQUIRE(up.event->error.has_value());
  CHECK(up.event->error->code == Errc::line_busy);
  // Waiting for the end itself is satisfied by it, also after the fact.
  CHECK(c.wait_for(State::disconnected, 1s).status == WaitStatus::satisfied);
}

TEST_CASE("wait_for: the limit first is timed_out, in the scheduler's time", "[wait][virtual]") {
  Harness h;
  auto c = h.dial("success");  // its device step alone takes 2.4 s
  const auto start = h.scheduler->now();
  auto up = c.wait_for(State::connected, 500ms);
  CHECK(up.status == WaitStatus::timed_out);
  CHECK_FALSE(up.event.has_value());
  CHECK(h.scheduler->now() - start == 500ms);
  CHECK_FALSE(c.ended());
  REQUIRE(c.hangup().has_value());
}

TEST_CASE("dial_and_wait: connected, failed, timed out", "[wait][virtual]") {
  Harness h;
  auto dialer = h.dialer();
  SECTION("connected: the connection") {
    auto c = dialer.dial_and_wait("success", {}, 1min);
    REQUIRE(c.has_value());
    CHECK(c->status().state == State::connected);
    REQUIRE(c->hangup().has_value());
  }
  SECTION("a failed dial: its error") {
    auto c = dialer.dial_and_wait("busy", {}, 1min);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == Errc::line_busy);
  }
  SECTION("out of time: Errc::timeout, and the dial is hung up") {
    std::vector<dialkit::Event> seen;
    auto c = dialer.dial_and_wait("success", {}, 500ms, [&seen](const dialkit::Event& e) { seen.push_back(e); });
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == Errc::timeout);
    REQUIRE_FALSE(seen.empty());
    CHECK(seen.back().state == State::disconnected);
    CHECK(seen.back().reason == "timeout");
  }
  SECTION("the shorter of the two timeouts wins") {
    dialkit::DialOptions o;
    o.timeout = 200ms;
    const auto start = h.scheduler->now();
    auto c = dialer.dial_and_wait("success", o, 1min);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == Errc::timeout);
    CHECK(h.scheduler->now() - start < 1s);
  }
  SECTION("an unknown entry: dial()'s own error") {
    auto c = dialer.dial_and_wait("no-such-entry", {}, 1min);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == Errc::unknown_entry);
  }
}

TEST_CASE("a slot that receives the connection answers a pause without a captured handle",
          "[wait][virtual]") {
  Harness h;
  int answered = 0;
  auto c = h.dialer().dial_and_wait("wrong-password", answering_pauses("wrong"), 1min,
                                    [&answered](dialkit::Connection& connection, const dialkit::Event& e) {
                                      if (e.state != State::retry_authentication) return;
                                      ++answered;
                                      auto resumed = connection.resume(
                                          dialkit::Credentials{"alice", dialkit::Secret("letmein"), ""});
                                      CHECK(resumed.has_value());
                                    });
  INFO((c ? std::string() : c.error().message()));
  REQUIRE(c.has_value());
  CHECK(answered == 1);
  CHECK(c->status().state == State::connected);
  // Connection::subscribe takes the same shape.
  std::vector<dialkit::ConnectionId> ids;
  auto sub = c->subscribe([&ids](dialkit::Connection& connection, const dialkit::Event&) { ids.push_back(connection.id()); });
  REQUIRE(c->hangup().has_value());
  REQUIRE(ids.size() >= 2);  // the replayed `connected`, then the end
  for (auto id : ids) CHECK(id == c->id());
}

TEST_CASE("the completion callback: each outcome, exactly once", "[wait][virtual]") {
  Harness h;
  std::vector<dialkit::DialCompletion> completions;
  auto record = [&completions](dialkit::Connection& c, const dialkit::DialCompletion& done) {
    CHECK(c.id() == done.event.connection);
    completions.push_back(done);
  };
  auto dialer = h.dialer();
  SECTION("connected, and nothing more at the later end") {
    auto c = dialer.dial("success", {}, {}, record);
    REQUIRE(c.has_value());
    h.scheduler->run_until_idle();
    REQUIRE(c->hangup().has_value());
    h.scheduler->run_until_idle();
    REQUIRE(completions.size() == 1);
    CHECK(completions[0].outcome == DialOutcome::connected);
    CHECK_FALSE(completions[0].error.has_value());
    CHECK(completions[0].event.state == State::connected);
  }
  SECTION("failed, with its error") {
    auto c = dialer.dial("busy", {}, {}, record);
    REQUIRE(c.has_value());
    h.scheduler->run_until_idle();
    REQUIRE(completions.size() == 1);
    CHECK(completions[0].outcome == DialOutcome::failed);
    REQUIRE(completions[0].error.has_value());
    CHECK(completions[0].error->code == Errc::line_busy);
  }
  SECTION("timed out") {
    dialkit::DialOptions o;
    o.timeout = 500ms;
    auto c = dialer.dial("success", o, {}, record);
    REQUIRE(c.has_value());
    h.scheduler->run_until_idle();
    REQUIRE(completions.size() == 1);
    CHECK(completions[0].outcome == DialOutcome::timed_out);
    REQUIRE(completions[0].error.has_value());
    CHECK(completions[0].error->code == Errc::timeout);
  }
  SECTION("hung up before connected: cancelled") {
    auto c = dialer.dial("success", {}, {}, record);
    REQUIRE(c.has_value());
    h.scheduler->advance(100ms);
    REQUIRE(c->hangup().has_value());
    REQUIRE(c->hangup().has_value());  // twice: still one completion
    h.scheduler->run_until_idle();
    REQUIRE(completions.size() == 1);
    CHECK(completions[0].outcome == DialOutcome::cancelled);
    CHECK(completions[0].event.state == State::disconnected);
    CHECK(dialkit::dial_outcome_name(completions[0].outcome) == "cancelled");
  }
  SECTION("the handler gets the deciding event before the completion") {
    std::vector<std::string> order;
    auto c = dialer.dial(
        "success", {},
        [&order](const dialkit::Event& e) {
          if (e.state == State::connected) order.emplace_back("handler");
        },
        [&order](dialkit::Connection&, const dialkit::DialCompletion&) { order.emplace_back("completion"); });
    REQUIRE(c.has_value());
    h.scheduler->run_until_idle();
    CHECK(order == std::vector<std::string>{"handler", "completion"});
    REQUIRE(c->hangup().has_value());
  }
}

TEST_CASE("real time: wait_for and dial_and_wait on the dispatcher thread", "[wait][realtime]") {
  RealTime rt;
  SECTION("wait_for connected") {
    auto c = rt.dialer->dial("fast");
    REQUIRE(c.has_value());
    auto up = c->wait_for(State::connected, 10s);
    REQUIRE(up.status == WaitStatus::satisfied);
    CHECK(up.event->state == State::connected);
    REQUIRE(c->hangup().has_value());
    CHECK(c->wait_for(State::disconnected, 10s).status == WaitStatus::satisfied);
  }
  SECTION("wait_for times out in real time") {
    auto c = rt.dialer->dial("slow");
    REQUIRE(c.has_value());
    const auto start = dialkit::Clock::now();
    auto up = c->wait_for(State::connected, 50ms);
    CHECK(up.status == WaitStatus::timed_out);
    CHECK(dialkit::Clock::now() - start >= 50ms);
    REQUIRE(c->hangup().has_value());
  }
  SECTION("dial_and_wait connects") {
    auto c = rt.dialer->dial_and_wait("fast", {}, 10s);
    REQUIRE(c.has_value());
    CHECK(c->status().state == State::connected);
    REQUIRE(c->hangup().has_value());
  }
  SECTION("dial_and_wait times out and leaves nothing running") {
    std::atomic<bool> ended{false};
    auto c = rt.dialer->dial_and_wait("slow", {}, 50ms, [&ended](const dialkit::Event& e) {
      if (e.state == State::disconnected) ended = true;
    });
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == Errc::timeout);
    CHECK(ended);
  }
  SECTION("completion once, from the dispatcher thread") {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<DialOutcome> outcomes;
    auto c = rt.dialer->dial("fast", {}, {}, [&](dialkit::Connection&, const dialkit::DialCompletion& done) {
      std::lock_guard lock(mutex);
      outcomes.push_back(done.outcome);
      cv.notify_all();
    });
    REQUIRE(c.has_value());
    {
      std::unique_lock lock(mutex);
      REQUIRE(cv.wait_for(lock, 10s, [&] { return !outcomes.empty(); }));
    }
    REQUIRE(c->hangup().has_value());
    REQUIRE(c->wait_until_ended(10s));
    std::lock_guard lock(mutex);
    CHECK(outcomes == std::vector<DialOutcome>{DialOutcome::connected});
  }
}
