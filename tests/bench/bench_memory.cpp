// (d) Memory per live connection: N connections dialed on the in-process bench backend and
// left idle in a paused state (retry_authentication), measured as the growth of the
// process's resident set (/proc/self/statm) and of the bytes malloc has handed out
// (mallinfo2), divided by N. Each connection has one slot subscribed, as a user's has.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include <malloc.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <dialkit/runtime.hpp>
#include <dialkit/scheduler.hpp>

#include "bench_backend.hpp"
#include "bench_names.hpp"

namespace {

using namespace dialkit;
using namespace dialkit::bench;

struct Memory {
  double rss = 0;
  double heap = 0;
};

Memory memory_now() {
  Memory m;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    unsigned long size = 0;
    unsigned long resident = 0;
    if (std::fscanf(f, "%lu %lu", &size, &resident) == 2)
      m.rss = static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
    std::fclose(f);
  }
  const struct mallinfo2 info = mallinfo2();
  m.heap = static_cast<double>(info.uordblks + info.hblkhd);
  return m;
}

void bm_idle_connections(benchmark::State& state, std::size_t count) {
  for (auto _ : state) {
    auto control = std::make_shared<BenchControl>();
    auto scheduler = std::make_shared<VirtualScheduler>();
    Runtime runtime(bench_runtime_options(RuntimeOptions::Delivery::inline_delivery, scheduler));
    runtime.add_backend(std::make_shared<BenchFactory>(control));
    auto dialer = runtime.dialer("bench");
    if (!dialer) {
      state.SkipWithError(dialer.error().message().c_str());
      return;
    }
    DialOptions options;
    options.handle_paused_states = true;
    const auto pause = [](Reporter& reporter) {
      reporter.report(native(State::opening_port, 0));
      reporter.report(native(State::retry_authentication, 0x1001));
    };

    std::uint64_t heard = 0;
    const EventSlot slot = [&heard](const Event&) { ++heard; };
    std::vector<Connection> connections;
    connections.reserve(count + 1);
    // One connection first, so that what the backend and the runtime set up once is not
    // counted per connection.
    auto first = dialer->dial("bench", options, slot);
    if (!first) {
      state.SkipWithError(first.error().message().c_str());
      return;
    }
    connections.push_back(std::move(*first));
    for (auto& r : control->take()) pause(*r);
    scheduler->run_until_idle();
    malloc_trim(0);

    const Memory before = memory_now();
    for (std::size_t i = 0; i < count; ++i) {
      auto connection = dialer->dial("bench", options, slot);
      if (!connection) {
        state.SkipWithError(connection.error().message().c_str());
        return;
      }
      connections.push_back(std::move(*connection));
    }
    {
      auto reporters = control->take();
      for (auto& r : reporters) pause(*r);
    }
    scheduler->run_until_idle();
    const Memory after = memory_now();

    const auto n = static_cast<double>(count);
    if (connections.back().status().state != State::retry_authentication) {
      state.SkipWithError("the connections did not reach the paused state");
      return;
    }
    if (heard != 2 * (count + 1)) {
      state.SkipWithError("a subscribed slot missed an event");
      return;
    }
    state.counters["connections"] = n;
    state.counters["rss_B_per_conn"] = (after.rss - before.rss) / n;
    state.counters["heap_B_per_conn"] = (after.heap - before.heap) / n;
  }
}

void bm_idle_10k(benchmark::State& state) { bm_idle_connections(state, 10'000); }
void bm_idle_100k(benchmark::State& state) { bm_idle_connections(state, 100'000); }

namespace names = dialkit::bench::names;
BENCHMARK(bm_idle_10k)->Name(names::memory_10k)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_idle_100k)->Name(names::memory_100k)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
