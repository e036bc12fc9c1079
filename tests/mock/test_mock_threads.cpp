// The mock in real time: hang-ups from the test's thread race the scheduler thread's steps,
// status() is read from a third thread; every dial still ends in one `disconnected`; and
// zero-delay dials from 8 threads are never timed out once connected.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <dialkit/mock.hpp>
#include <dialkit/runtime.hpp>

using namespace std::chrono_literals;
using dialkit::State;
namespace mock = dialkit::mock;

TEST_CASE("mock threads: hang-ups race the steps of a real-time dial", "[mock][integration][threads]") {
  auto builder = mock::ScenarioBuilder("busy-steps").step(State::opening_port, 1ms);
  for (int i = 0; i < 15; ++i)
    builder.step(i % 2 ? State::auth_notify : State::authenticating, 1ms);
  builder.step(State::connected, 1ms);
  auto scenario = builder.build();
  REQUIRE(scenario.has_value());

  dialkit::RuntimeOptions options;
  options.load_plugins = false;  // real-time scheduler and dispatcher thread: the defaults
  dialkit::Runtime runtime(options);
  auto factory = mock::make_factory();
  REQUIRE(factory->add_scenario(*scenario).has_value());
  runtime.add_backend(factory);
  std::mutex mutex;
  std::vector<dialkit::Diagnostic> diagnostics;
  auto diag = runtime.on_diagnostic([&](const dialkit::Diagnostic& d) {
    std::lock_guard lock(mutex);
    diagnostics.push_back(d);
  });
  auto dialer = runtime.dialer("mock");
  REQUIRE(dialer.has_value());

  for (int round = 0; round < 25; ++round) {
    INFO("round " << round);
    std::vector<dialkit::Event> events;
    auto c = dialer->dial("busy-steps", {}, [&](const dialkit::Event& e) {
      std::lock_guard lock(mutex);
      events.push_back(e);
    });
    REQUIRE(c.has_value());
    std::atomic<bool> stop{false};
    std::thread reader([&] {
      while (!stop) (void)c->status();
    });
    std::this_thread::sleep_for(std::chrono::microseconds(round * 700));
    CHECK(c->hangup().has_value());
    CHECK(c->wait_until_ended(2s));
    stop = true;
    reader.join();
    std::lock_guard lock(mutex);
    REQUIRE_FALSE(events.empty());
    CHECK(events.back().state == State::disconnected);
    CHECK(events.back().reason == "local hang-up");
    for (std::size_t i = 0; i < events.size(); ++i) CHECK(events[i].seq == i + 1);
  }
  std::lock_guard lock(mutex);
  // A step racing the hang-up may arrive late; core drops it and says so. Nothing else.
  for (const auto& d : diagnostics) CHECK(d.kind == dialkit::Diagnostic::Kind::late_report);
}

TEST_CASE("mock threads: a dial timeout never fires after connected (zero-delay steps, 8 threads)",
          "[mock][integration][threads][timeout]") {
  // Steps without delay reach `connected` as fast as the scheduler thread runs them, often
  // before dial() has returned on the dialling thread; the 3 ms timeout must not end one of
  // those afterwards. Each thread holds one dial at a time, until its timer's time has passed.
  auto scenario = mock::ScenarioBuilder("instant")
                      .step(State::opening_port)
                      .step(State::connecting_device)
                      .step(State::authenticating)
                      .step(State::connected)
                      .build();
  REQUIRE(scenario.has_value());
  dialkit::RuntimeOptions options;
  options.load_plugins = false;  // real-time scheduler and dispatcher thread
  dialkit::Runtime runtime(options);
  auto factory = mock::make_factory();
  REQUIRE(factory->add_scenario(*scenario).has_value());
  runtime.add_backend(factory);
  auto dialer = runtime.dialer("mock");
  REQUIRE(dialer.has_value());

  struct Dial {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<dialkit::Event> events;
    bool connected_or_ended = false;
  };
  constexpr int threads = 8;
  constexpr int per_thread = 250;
  std::vector<std::unique_ptr<Dial>> dials;
  for (int i = 0; i < threads * per_thread; ++i) dials.push_back(std::make_unique<Dial>());
  // Catch2's assertions are not thread-safe: the threads count, the test thread checks.
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        Dial& d = *dials[static_cast<std::size_t>(t * per_thread + i)];
        dialkit::DialOptions o;
        o.timeout = 3ms;
        auto c = dialer->dial("instant", o, [&d](const dialkit::Event& e) {
          std::lock_guard lock(d.mutex);
          d.events.push_back(e);
          if (e.state == State::connected || e.state == State::disconnected) d.connected_or_ended = true;
          d.changed.notify_all();
        });
        if (!c) {
          failures++;
          continue;
        }
        {
          std::unique_lock lock(d.mutex);
          if (!d.changed.wait_for(lock, 10s, [&d] { return d.connected_or_ended; })) failures++;
        }
        // The scheduler runs its tasks in time order: once a task due 10 ms from now has run,
        // this dial's 3 ms timer has run too, unless `connected` cancelled it.
        std::promise<void> passed;
        runtime.scheduler().post_after(10ms, [&passed] { passed.set_value(); });
        if (passed.get_future().wait_for(10s) != std::future_status::ready) failures++;
        if (!c->hangup() || !c->wait_until_ended(10s)) failures++;
      }
    });
  for (auto& w : workers) w.join();
  REQUIRE(failures == 0);
  int connected = 0, timed_out_after_connected = 0, timed_out_before = 0;
  for (auto& d : dials) {
    std::lock_guard lock(d->mutex);
    REQUIRE_FALSE(d->events.empty());
    const auto& last = d->events.back();
    REQUIRE(last.state == State::disconnected);
    const bool was_connected = std::any_of(d->events.begin(), d->events.end(),
                                           [](const dialkit::Event& e) { return e.state == State::connected; });
    const bool timed_out = last.error && last.error->code == dialkit::Errc::timeout;
    if (was_connected) {
      ++connected;
      if (timed_out) ++timed_out_after_connected;
      else CHECK(last.reason == "local hang-up");
    } else if (timed_out) {
      // A loaded machine may run the timer before the steps: then nothing is connected.
      ++timed_out_before;
      CHECK(last.reason == "timeout");
    }
  }
  INFO(connected << " connected, " << timed_out_before << " timed out before connected; the first dial: " << [&] {
    std::string out;
    std::lock_guard lock(dials.front()->mutex);
    for (const auto& e : dials.front()->events)
      out += std::string(dialkit::state_name(e.state)) + (e.error ? "(" + e.error->message() + ")" : "") + " ";
    return out;
  }());
  CHECK(timed_out_after_connected == 0);
  CHECK(connected > 0);
}
