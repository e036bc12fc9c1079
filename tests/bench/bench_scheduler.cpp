// The schedulers' cost of posting a task and cancelling it with many others waiting, as a
// dial with a timeout does when it connects: it must not grow with the tasks in flight.
#include <benchmark/benchmark.h>

#include <chrono>
#include <vector>

#include <dialkit/scheduler.hpp>

#include "bench_names.hpp"

namespace {

using namespace std::chrono_literals;

// The task cancelled is due after every waiting one, as a dial's timeout is behind the
// timeouts of the dials started before it: a queue searched from the front meets them all.
template <class Clock>
void post_cancel(benchmark::State& state, Clock& clock) {
  for (long i = 0; i < state.range(0); ++i) clock.post_after(1h + std::chrono::milliseconds(i), [] {});
  for (auto _ : state) {
    const auto id = clock.post_after(2h, [] {});
    benchmark::DoNotOptimize(clock.cancel(id));
  }
  state.counters["waiting"] = static_cast<double>(state.range(0));
}

void bm_virtual_post_cancel(benchmark::State& state) {
  dialkit::VirtualScheduler clock;
  post_cancel(state, clock);
}

void bm_real_post_cancel(benchmark::State& state) {
  dialkit::RealTimeScheduler clock;
  post_cancel(state, clock);
}

}  // namespace

BENCHMARK(bm_virtual_post_cancel)->Name(dialkit::bench::names::scheduler_virtual)->Arg(0)->Arg(10'000)->Arg(100'000);
BENCHMARK(bm_real_post_cancel)->Name(dialkit::bench::names::scheduler_real)->Arg(0)->Arg(10'000)->Arg(100'000);
