// The Asio adapter (<dialkit/asio.hpp>) on the mock in real time: async_dial and async_wait_for
// with use_future, a callback and use_awaitable; events and completions on the io_context's
// thread; giving up by hanging up from the event handler (the operation completes cancelled).
#include <catch2/catch.hpp>

#include <dialkit/asio.hpp>

#include "mock_harness.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

using namespace std::chrono_literals;
using dialkit::Errc;
using dialkit::State;
using dialkit::WaitStatus;
namespace mock = dialkit::mock;
namespace net = boost::asio;

namespace {

// A runtime delivering on `io` (mock_harness.hpp: `fast` connects after 2 ms, `slow` after a minute).
struct AsioRuntime : mock_test::FastSlowRuntime {
  explicit AsioRuntime(net::io_context& io) : FastSlowRuntime(dialkit::asio::runtime_options(io.get_executor(), {})) {}
};

}  // namespace

TEST_CASE("asio: async_dial with use_future, events on the io_context's thread", "[asio]") {
  net::io_context io;
  AsioRuntime rt(io);
  auto work = net::make_work_guard(io);
  std::thread runner([&io] { io.run(); });
  const auto io_thread = runner.get_id();
  std::atomic<int> off_thread{0};
  auto on_event = [&](const dialkit::Event&) {
    if (std::this_thread::get_id() != io_thread) ++off_thread;
  };
  auto dialed = dialkit::asio::async_dial(*rt.dialer, "fast", {}, on_event, net::use_future);
  auto c = dialed.get();
  REQUIRE(c.has_value());
  CHECK(c->status().state == State::connected);
  auto waiting = dialkit::asio::async_wait_for(*c, State::disconnected, net::use_future);
  REQUIRE(c->hangup().has_value());
  auto ended = waiting.get();
  CHECK(ended.status == WaitStatus::satisfied);
  CHECK(ended.event->reason == "local hang-up");
  CHECK(off_thread == 0);
  work.reset();
  runner.join();
}

TEST_CASE("asio: async_dial with a callback bound to the io_context, a failure is the error", "[asio]") {
  net::io_context io;
  AsioRuntime rt(io);
  std::optional<dialkit::Result<dialkit::Connection>> got;
  std::thread::id completed_on;
  dialkit::DialOptions o;
  o.timeout = 20ms;
  // io.run() returns only once the operation completed: it keeps the executor busy until then.
  dialkit::asio::async_dial(*rt.dialer, "slow", o,
                            net::bind_executor(io, [&](dialkit::Result<dialkit::Connection> r) {
                              completed_on = std::this_thread::get_id();
                              got = std::move(r);
                            }));
  io.run();
  REQUIRE(got.has_value());
  REQUIRE_FALSE(got->has_value());
  CHECK(got->error().code == Errc::timeout);
  CHECK(completed_on == std::this_thread::get_id());
}

TEST_CASE("asio: a coroutine dials, answers a pause and hangs up (use_awaitable)", "[asio]") {
  net::io_context io;
  AsioRuntime rt(io);
  int outcome = -1;
  auto dial = [&]() -> net::awaitable<int> {
    dialkit::DialOptions o;
    o.credentials = dialkit::Credentials{"alice", dialkit::Secret("wrong"), ""};
    o.handle_paused_states = true;
    auto answer = [](dialkit::Connection& c, const dialkit::Event& e) {
      if (e.state == State::retry_authentication)
        CHECK(c.resume(dialkit::Credentials{"alice", dialkit::Secret("letmein"), ""}).has_value());
    };
    auto c = co_await dialkit::asio::async_dial(*rt.dialer, "wrong-password", o, answer, net::use_awaitable);
    if (!c) co_return 1;
    auto up = co_await dialkit::asio::async_wait_for(*c, State::connected, net::use_awaitable);
    if (!up || !up.event->replayed) co_return 2;
    if (!c->hangup()) co_return 3;
    auto end = co_await dialkit::asio::async_wait_for(*c, State::connected, net::use_awaitable);
    co_return end.status == WaitStatus::ended_first ? 0 : 4;
  };
  // The shipped scenarios come with the factory: the in-process mock has wrong-password too.
  net::co_spawn(io, dial(), [&outcome](std::exception_ptr e, int r) { outcome = e ? 99 : r; });
  io.run();
  CHECK(outcome == 0);
}

TEST_CASE("asio: hanging up from the handler before connected completes cancelled", "[asio]") {
  net::io_context io;
  AsioRuntime rt(io);
  std::optional<dialkit::Result<dialkit::Connection>> got;
  auto give_up = [](dialkit::Connection& c, const dialkit::Event& e) {
    if (e.state == State::opening_port) CHECK(c.hangup().has_value());
  };
  dialkit::asio::async_dial(*rt.dialer, "slow", {}, give_up,
                            net::bind_executor(io, [&](dialkit::Result<dialkit::Connection> r) { got = std::move(r); }));
  io.run();
  REQUIRE(got.has_value());
  REQUIRE_FALSE(got->has_value());
  CHECK(got->error().code == Errc::cancelled);
}

TEST_CASE("asio: a refused dial completes at once with dial()'s error", "[asio]") {
  net::io_context io;
  AsioRuntime rt(io);
  auto f = dialkit::asio::async_dial(*rt.dialer, "no-such-entry", {}, net::use_future);
  auto r = f.get();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::unknown_entry);
}
