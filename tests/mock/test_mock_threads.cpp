// The mock in real time: hang-ups from the test's thread race the scheduler thread's steps,
// status() is read from a third thread; every dial still ends in one `disconnected`.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <thread>

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
