// (c) Mock dials per second in virtual time: the in-process mock backend (dialkit::mock) runs
// a 12-event scenario on a VirtualScheduler with inline delivery, so a dial costs only the
// mock's and core's work, never a sleep.
#include <benchmark/benchmark.h>

#include "bench_names.hpp"

#if DIALKIT_BENCH_HAVE_MOCK

#include <chrono>
#include <cstdint>
#include <memory>

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

BENCHMARK(bm_mock_dials)->Name(dialkit::bench::names::mock_dials)->UseRealTime();

}  // namespace

#endif  // DIALKIT_BENCH_HAVE_MOCK
