// The Asio adapter's cancellation (<dialkit/asio.hpp> with Boost >= 1.77), compiled against a
// newer Boost than the one dialkit was built with (tests/mock/CMakeLists.txt puts those headers
// first; fetch-boost-headers.sh provides them): a program's own Boost beside libdialkit-core.
// On the mock in real time: a dial cancelled before `connected` is hung up and completes
// cancelled; a completed one is left alone; a cancelled wait completes aborted; a cancellation
// racing the dial's own end completes it exactly once.
#include <catch2/catch.hpp>

#include <dialkit/asio.hpp>

#include "mock_harness.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/version.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

static_assert(BOOST_VERSION >= 107700, "this test needs the newer Boost's headers first (tests/mock/CMakeLists.txt)");
static_assert(DIALKIT_ASIO_CANCELLATION == 1);

using namespace std::chrono_literals;
using dialkit::Errc;
using dialkit::State;
using dialkit::WaitStatus;
namespace mock = dialkit::mock;
namespace net = boost::asio;
using Dialed = dialkit::Result<dialkit::Connection>;

namespace {

// A runtime delivering on `io` (mock_harness.hpp: `fast` connects after 2 ms, `slow` after a minute).
struct AsioRuntime : mock_test::FastSlowRuntime {
  explicit AsioRuntime(net::io_context& io) : FastSlowRuntime(dialkit::asio::runtime_options(io.get_executor(), {})) {}
};

// What the event handler saw: the connection (the handler gets it with each event) and the
// events, from whichever thread delivers them.
struct Seen {
  void operator()(dialkit::Connection& c, const dialkit::Event& e) {
    std::lock_guard lock(mutex);
    if (!connection) connection.emplace(c);
    events.push_back(e);
  }
  std::optional<dialkit::Connection> get() {
    std::lock_guard lock(mutex);
    return connection;
  }
  std::optional<dialkit::Event> last() {
    std::lock_guard lock(mutex);
    if (events.empty()) return std::nullopt;
    return events.back();
  }
  std::mutex mutex;
  std::optional<dialkit::Connection> connection;
  std::vector<dialkit::Event> events;
};

}  // namespace

TEST_CASE("asio cancel: a coroutine's dial cancelled before connected is hung up and completes cancelled",
          "[asio][cancel]") {
  net::io_context io;
  AsioRuntime rt(io);
  net::cancellation_signal signal;
  Seen seen;
  std::optional<Dialed> got;
  // Without cancellation the dial would run into this timeout (Errc::timeout), not a minute.
  dialkit::DialOptions options;
  options.timeout = 3s;
  auto on_event = [&](dialkit::Connection& c, const dialkit::Event& e) {
    seen(c, e);
    if (e.state == State::opening_port) net::post(io, [&signal] { signal.emit(net::cancellation_type::terminal); });
  };
  auto dial = [&]() -> net::awaitable<void> {
    got = co_await dialkit::asio::async_dial(*rt.dialer, "slow", options, on_event, net::use_awaitable);
  };
  bool ended = false;
  std::exception_ptr thrown;
  net::co_spawn(io, dial(), net::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) {
                  ended = true;
                  thrown = e;
                }));
  io.run();
  REQUIRE(ended);
  REQUIRE_FALSE(thrown);
  REQUIRE(got.has_value());
  REQUIRE_FALSE(got->has_value());
  CHECK(got->error().code == Errc::cancelled);
  // The backend hung up: the dial ended before the operation completed.
  auto connection = seen.get();
  REQUIRE(connection.has_value());
  CHECK(connection->ended());
  auto last = seen.last();
  REQUIRE(last.has_value());
  CHECK(last->state == State::disconnected);
  CHECK(last->reason == "local hang-up");
}

TEST_CASE("asio cancel: partial cancels a dial too, total is not honoured by a dial", "[asio][cancel]") {
  net::io_context io;
  AsioRuntime rt(io);
  for (auto type : {net::cancellation_type::partial, net::cancellation_type::total}) {
    net::cancellation_signal signal;
    std::optional<Dialed> got;
    dialkit::DialOptions options;
    options.timeout = 300ms;
    auto on_event = [&](const dialkit::Event& e) {
      if (e.state == State::opening_port) net::post(io, [&signal, type] { signal.emit(type); });
    };
    dialkit::asio::async_dial(*rt.dialer, "slow", options, on_event,
                              net::bind_cancellation_slot(signal.slot(), net::bind_executor(io, [&](Dialed r) {
                                                            got = std::move(r);
                                                          })));
    io.run();
    io.restart();
    REQUIRE(got.has_value());
    REQUIRE_FALSE(got->has_value());
    // total: the dial ran on into its own timeout.
    CHECK(got->error().code == (type == net::cancellation_type::partial ? Errc::cancelled : Errc::timeout));
  }
}

TEST_CASE("asio cancel: the slot is armed while a dial is pending, cleared when it completes, later "
          "cancellation changes nothing",
          "[asio][cancel]") {
  net::io_context io;
  AsioRuntime rt(io);
  net::cancellation_signal signal;
  std::optional<bool> armed_while_pending;
  std::optional<bool> armed_at_completion;
  std::optional<dialkit::Connection> connection;
  auto on_event = [&](const dialkit::Event& e) {
    if (e.state == State::opening_port) armed_while_pending = signal.slot().has_handler();
  };
  dialkit::asio::async_dial(*rt.dialer, "fast", {}, on_event,
                            net::bind_cancellation_slot(signal.slot(), net::bind_executor(io, [&](Dialed r) {
                                                          armed_at_completion = signal.slot().has_handler();
                                                          REQUIRE(r.has_value());
                                                          connection.emplace(*r);
                                                          // Cancelled after connected: nothing happens.
                                                          signal.emit(net::cancellation_type::terminal);
                                                        })));
  io.run();
  REQUIRE(connection.has_value());
  CHECK(armed_while_pending == true);
  CHECK(armed_at_completion == false);
  io.restart();
  signal.emit(net::cancellation_type::terminal);
  io.poll();
  CHECK(connection->status().state == State::connected);
  CHECK_FALSE(connection->ended());
  REQUIRE(connection->hangup().has_value());
  io.run();
}

TEST_CASE("asio cancel: a cancelled async_wait_for completes aborted and leaves the connection alone",
          "[asio][cancel]") {
  net::io_context io;
  AsioRuntime rt(io);
  std::optional<dialkit::Connection> connection;
  dialkit::asio::async_dial(*rt.dialer, "fast", {}, net::bind_executor(io, [&](Dialed r) {
                              REQUIRE(r.has_value());
                              connection.emplace(*r);
                            }));
  io.run();
  io.restart();
  REQUIRE(connection.has_value());
  for (auto type : {net::cancellation_type::terminal, net::cancellation_type::partial,
                    net::cancellation_type::total}) {
    net::cancellation_signal signal;
    std::optional<dialkit::WaitResult> got;
    dialkit::asio::async_wait_for(*connection, State::disconnected,
                                  net::bind_cancellation_slot(signal.slot(), net::bind_executor(io, [&](dialkit::WaitResult r) {
                                                                got = std::move(r);
                                                              })));
    net::post(io, [&signal, type] { signal.emit(type); });
    // Bounded: without cancellation the wait would never complete.
    io.run_for(10s);
    io.restart();
    REQUIRE(got.has_value());
    CHECK(got->status == WaitStatus::aborted);
    CHECK(dialkit::wait_status_name(got->status) == "aborted");
    CHECK_FALSE(got->event.has_value());
    CHECK_FALSE(signal.slot().has_handler());
    CHECK(connection->status().state == State::connected);
    CHECK_FALSE(connection->ended());
  }
  // The wait's subscription went with it: the connection still ends as usual.
  REQUIRE(connection->hangup().has_value());
  io.run();
  CHECK(connection->ended());
}

TEST_CASE("asio cancel: a cancellation racing the dial's own end completes it exactly once", "[asio][cancel]") {
  // Events (and the dial's end) on `io`'s thread; the completion handler on `handlers`, run
  // here, where the signal is emitted too (Asio's rule: a slot is used from one thread). The
  // cancellation itself runs on this thread against the delivery thread and the mock's.
  net::io_context io;
  AsioRuntime rt(io);
  auto work = net::make_work_guard(io);
  std::thread runner([&io] { io.run(); });
  net::io_context handlers;
  std::mt19937 random(12345);
  std::uniform_int_distribution<int> delay_us(0, 3000);
  int cancelled = 0;
  int connected = 0;
  for (int i = 0; i < 300; ++i) {
    net::cancellation_signal signal;
    auto seen = std::make_shared<Seen>();  // the runtime may hold the handler past this iteration
    std::atomic<int> completions{0};
    std::optional<Dialed> got;
    auto on_event = [seen](dialkit::Connection& c, const dialkit::Event& e) { (*seen)(c, e); };
    dialkit::asio::async_dial(*rt.dialer, "fast", {}, on_event,
                              net::bind_cancellation_slot(signal.slot(), net::bind_executor(handlers, [&](Dialed r) {
                                                            ++completions;
                                                            got = std::move(r);
                                                          })));
    // Half of the cancellations come at once, the others while the dial nears its end (2 ms):
    // the delay only spreads the interleavings; nothing waits on it.
    if (i % 2 == 1) std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
    signal.emit(net::cancellation_type::terminal);
    handlers.run();  // returns once the operation completed: it keeps `handlers` busy until then
    handlers.restart();
    handlers.poll();  // a second completion would run here
    handlers.restart();
    INFO("iteration " << i);
    REQUIRE(completions == 1);
    REQUIRE(got.has_value());
    if (got->has_value()) {
      ++connected;
      CHECK((*got)->status().state == State::connected);
      REQUIRE((*got)->hangup().has_value());
      CHECK((*got)->wait_until_ended(5s));
    } else {
      ++cancelled;
      CHECK(got->error().code == Errc::cancelled);
      auto connection = seen->get();
      REQUIRE(connection.has_value());
      CHECK(connection->wait_until_ended(5s));
    }
  }
  WARN(cancelled << " cancelled, " << connected << " connected before the cancellation");
  CHECK(cancelled > 0);
  work.reset();
  runner.join();
}
