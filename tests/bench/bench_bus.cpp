// (a) The cost of one event through the dialkit bus (one slot, inline delivery) beside a
// direct std::function call and a raw Boost.Signals2 emit with one slot; (b) the latency
// from a backend's native thread to the slot through the runtime's dispatcher thread.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/signals2/signal.hpp>

#include <dialkit/runtime.hpp>
#include <dialkit/scheduler.hpp>

#include "bench_backend.hpp"
#include "bench_names.hpp"

namespace {

using namespace dialkit;
using namespace dialkit::bench;

// The same slot body for the three: read the event, so none can be optimized away.
struct CountingSlot {
  std::uint64_t* sink;
  void operator()(const Event& e) const { *sink += e.seq + static_cast<std::uint64_t>(e.state); }
};

Event sample_event() {
  Event e;
  e.connection = 1;
  e.backend = "bench";
  e.entry = "bench";
  e.seq = 3;
  e.state = State::subentry_connected;
  e.previous = State::connected;
  e.native_code = 22;
  e.native_name = "bench";
  e.subentry = 1;
  return e;
}

void bm_std_function(benchmark::State& state) {
  std::uint64_t sink = 0;
  const std::function<void(const Event&)> slot = CountingSlot{&sink};
  const Event e = sample_event();
  for (auto _ : state) {
    slot(e);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
}

void bm_signals2(benchmark::State& state) {
  std::uint64_t sink = 0;
  boost::signals2::signal<void(const Event&)> signal;
  signal.connect(CountingSlot{&sink});
  const Event e = sample_event();
  for (auto _ : state) {
    signal(e);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
}

// Each iteration is one report from the backend's side, delivered to one slot on the same
// thread. Back-to-back identical states would be dropped (DESIGN rule 3), so the loop
// alternates subentry_connected and subentry_disconnected after `connected`, with a new
// subentry number each time: every report is a legal, new event.
void bm_dialkit_inline(benchmark::State& state) {
  auto control = std::make_shared<BenchControl>();
  Runtime runtime(bench_runtime_options(RuntimeOptions::Delivery::inline_delivery,
                                        std::make_shared<VirtualScheduler>()));
  runtime.add_backend(std::make_shared<BenchFactory>(control));
  auto dialer = runtime.dialer("bench");
  if (!dialer) {
    state.SkipWithError(dialer.error().message().c_str());
    return;
  }
  std::uint64_t sink = 0;
  std::uint64_t delivered = 0;
  auto connection = dialer->dial("bench", {}, [&sink, &delivered](const Event& e) {
    CountingSlot{&sink}(e);
    ++delivered;
  });
  if (!connection) {
    state.SkipWithError(connection.error().message().c_str());
    return;
  }
  auto reporters = control->take();
  if (reporters.size() != 1) {
    state.SkipWithError("the bench backend saw no dial");
    return;
  }
  Reporter& reporter = *reporters.front();
  reporter.report(native(State::opening_port, 0));
  reporter.report(native(State::connected, 0x2000));

  std::uint32_t subentry = 0;
  for (auto _ : state) {
    ++subentry;
    const bool up = (subentry & 1U) != 0;
    reporter.report(native(up ? State::subentry_connected : State::subentry_disconnected,
                           up ? 22 : 23, subentry));
  }
  benchmark::DoNotOptimize(sink);
  const auto expected = static_cast<std::uint64_t>(state.iterations()) + 2;
  if (delivered != expected || runtime.illegal_transitions() != 0)
    state.SkipWithError("the bus did not deliver every event exactly once");
  state.SetItemsProcessed(state.iterations());
}

double percentile(std::vector<double>& sorted, double p) {
  const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

// A "native" thread reports one event at a time and waits until the slot ran, so each
// sample is the latency of an idle dispatcher waking for one event (no queueing).
void bm_dispatcher_latency(benchmark::State& state) {
  constexpr std::uint32_t samples = 20'000;
  auto control = std::make_shared<BenchControl>();
  Runtime runtime(bench_runtime_options(RuntimeOptions::Delivery::dispatcher_thread,
                                        std::make_shared<VirtualScheduler>()));
  runtime.add_backend(std::make_shared<BenchFactory>(control));
  auto dialer = runtime.dialer("bench");
  if (!dialer) {
    state.SkipWithError(dialer.error().message().c_str());
    return;
  }
  std::vector<Clock::time_point> sent(samples + 1);
  std::vector<Clock::time_point> received(samples + 1);
  std::atomic<std::uint64_t> delivered{0};
  auto connection = dialer->dial("bench", {}, [&](const Event& e) {
    if (e.subentry) received[*e.subentry] = Clock::now();
    delivered.fetch_add(1, std::memory_order_release);
  });
  if (!connection) {
    state.SkipWithError(connection.error().message().c_str());
    return;
  }
  auto reporters = control->take();
  if (reporters.size() != 1) {
    state.SkipWithError("the bench backend saw no dial");
    return;
  }
  std::shared_ptr<Reporter> reporter = reporters.front();
  const auto wait_for = [&delivered](std::uint64_t n) {
    while (delivered.load(std::memory_order_acquire) < n) std::this_thread::yield();
  };

  for (auto _ : state) {
    std::thread native_thread([&] {
      reporter->report(native(State::opening_port, 0));
      reporter->report(native(State::connected, 0x2000));
      wait_for(2);
      for (std::uint32_t i = 1; i <= samples; ++i) {
        const bool up = (i & 1U) != 0;
        sent[i] = Clock::now();
        reporter->report(native(up ? State::subentry_connected : State::subentry_disconnected,
                                up ? 22 : 23, i));
        wait_for(std::uint64_t{i} + 2);
      }
    });
    native_thread.join();
  }

  std::vector<double> us;
  us.reserve(samples);
  for (std::uint32_t i = 1; i <= samples; ++i)
    us.push_back(std::chrono::duration<double, std::micro>(received[i] - sent[i]).count());
  std::sort(us.begin(), us.end());
  state.counters["median_us"] = percentile(us, 0.50);
  state.counters["p99_us"] = percentile(us, 0.99);
  state.counters["max_us"] = us.back();
  state.counters["samples"] = samples;
}

namespace names = dialkit::bench::names;
BENCHMARK(bm_std_function)->Name(names::bus_std_function);
BENCHMARK(bm_signals2)->Name(names::bus_signals2);
BENCHMARK(bm_dialkit_inline)->Name(names::bus_dialkit);
BENCHMARK(bm_dispatcher_latency)
    ->Name(names::dispatcher_latency)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
