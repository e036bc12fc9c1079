// (c) Mock dials per second in virtual time: the in-process mock backend (dialkit::mock) runs
// a 12-event scenario on a VirtualScheduler with inline delivery, so a dial costs only the
// mock's and core's work, never a sleep.
#include <benchmark/benchmark.h>

#include "bench_names.hpp"

#if DIALKIT_BENCH_HAVE_MOCK

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <dialkit/mock.hpp>
#include <dialkit/runtime.hpp>
#include <dialkit/scheduler.hpp>

namespace {

using namespace dialkit;
using namespace std::chrono_literals;

// Twelve events: ten running states, `connected`, then the peer's clean hang-up.
Result<mock::Scenario> twelve_events() {
  mock::Step hang_up;
  hang_up.state = State::disconnected;
  hang_up.delay = 1ms;
  hang_up.native_code = mock::default_native_code(State::disconnected);
  hang_up.native_name = std::string(mock::default_native_name(State::disconnected));
  hang_up.reason = "the peer hung up";
  return mock::ScenarioBuilder("bench-12")
      .step(State::opening_port, 1ms)
      .step(State::port_opened, 1ms)
      .step(State::connecting_device, 1ms)
      .step(State::device_connected, 1ms)
      .step(State::all_devices_connected, 1ms)
      .step(State::authenticating, 1ms)
      .step(State::authenticated, 1ms)
      .step(State::auth_project, 1ms)
      .step(State::projected, 1ms)
      .step(State::applying_settings, 1ms)
      .step(State::connected, 1ms)
      .step(hang_up)
      .build();
}

void bm_mock_dials(benchmark::State& state) {
  auto scheduler = std::make_shared<VirtualScheduler>();
  RuntimeOptions options;
  options.load_plugins = false;
  options.delivery = RuntimeOptions::Delivery::inline_delivery;
  options.scheduler = scheduler;
  Runtime runtime(options);
  auto factory = mock::make_factory();
  auto scenario = twelve_events();
  if (!scenario) {
    state.SkipWithError(scenario.error().message().c_str());
    return;
  }
  if (auto added = factory->add_scenario(*scenario); !added) {
    state.SkipWithError(added.error().message().c_str());
    return;
  }
  runtime.add_backend(factory);
  auto dialer = runtime.dialer(mock::backend_name);
  if (!dialer) {
    state.SkipWithError(dialer.error().message().c_str());
    return;
  }

  std::uint64_t events = 0;
  std::uint64_t ended = 0;
  const EventSlot slot = [&events, &ended](const Event& e) {
    ++events;
    if (e.state == State::disconnected) ++ended;
  };
  for (auto _ : state) {
    auto connection = dialer->dial("bench-12", {}, slot);
    if (!connection) {
      state.SkipWithError(connection.error().message().c_str());
      return;
    }
    scheduler->run_until_idle();
  }
  const auto dials = static_cast<std::uint64_t>(state.iterations());
  if (ended != dials || events != dials * 12)
    state.SkipWithError("a mock dial did not deliver its 12 events");
  state.counters["dials_per_s"] =
      benchmark::Counter(static_cast<double>(dials), benchmark::Counter::kIsRate);
  state.counters["events_per_dial"] =
      static_cast<double>(events) / static_cast<double>(dials == 0 ? 1 : dials);
}

// A dial with a timeout while N others are in flight (each waiting an hour at its first
// step): connecting cancels the timeout, and the backend and the scheduler must not pay for
// the dials in flight.
void bm_mock_dial_in_crowd(benchmark::State& state) {
  auto scheduler = std::make_shared<VirtualScheduler>();
  RuntimeOptions options;
  options.load_plugins = false;
  options.delivery = RuntimeOptions::Delivery::inline_delivery;
  options.scheduler = scheduler;
  Runtime runtime(options);
  auto factory = mock::make_factory();
  auto scenario = twelve_events();
  auto waiting = mock::ScenarioBuilder("bench-waiting").step(State::opening_port, 1h).build();
  if (!scenario || !waiting) {
    state.SkipWithError("the bench scenarios do not build");
    return;
  }
  if (!factory->add_scenario(*scenario) || !factory->add_scenario(*waiting)) {
    state.SkipWithError("the bench scenarios were refused");
    return;
  }
  runtime.add_backend(factory);
  auto dialer = runtime.dialer(mock::backend_name);
  if (!dialer) {
    state.SkipWithError(dialer.error().message().c_str());
    return;
  }
  DialOptions with_timeout;
  with_timeout.timeout = 30s;
  std::vector<Connection> crowd;
  for (long i = 0; i < state.range(0); ++i) {
    auto held = dialer->dial("bench-waiting", with_timeout);
    if (!held) {
      state.SkipWithError(held.error().message().c_str());
      return;
    }
    crowd.push_back(std::move(*held));
  }
  std::uint64_t ended = 0;
  const EventSlot slot = [&ended](const Event& e) {
    if (e.state == State::disconnected && !e.error) ++ended;
  };
  for (auto _ : state) {
    auto connection = dialer->dial("bench-12", with_timeout, slot);
    if (!connection) {
      state.SkipWithError(connection.error().message().c_str());
      return;
    }
    scheduler->advance(12ms);
  }
  if (ended != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("a mock dial did not end cleanly within its 12 ms");
  state.counters["in_flight"] = static_cast<double>(state.range(0));
}

BENCHMARK(bm_mock_dials)->Name(dialkit::bench::names::mock_dials)->UseRealTime();
BENCHMARK(bm_mock_dial_in_crowd)->Name(dialkit::bench::names::mock_crowd)->Arg(0)->Arg(10'000)->UseRealTime();

}  // namespace

#endif  // DIALKIT_BENCH_HAVE_MOCK
