// Soak: dial and hang up in a loop through a Runtime and check that the process does not grow.
// [mock]: the real mock plugin (.so loaded by the Runtime's plugin search), real time, the
// dispatcher thread; every fifth dial fails (line busy) instead of connecting.
// [realnm]: a real NetworkManager in its own network namespace (tests/networkmanager/harness),
// a static-IP activation and its hang-up each cycle.
//
// Figures (threads, fds, VmRSS, heap in use from mallinfo2) are taken at the start, after the
// warm-up and at the end; they go to stdout and to soak-<name>.txt in the build tree. The test
// fails when, after the warm-up, threads or fds changed at all, VmRSS grew by more than
// rss_tolerance_kb or the heap in use by more than heap_tolerance_kb.
//
// Length: by default a fixed number of cycles (CI: mock 1500 ~15 s, real NM 100 ~4 s). Longer:
//   DIALKIT_SOAK_SECONDS=N    each soak runs N seconds after its warm-up instead
//   DIALKIT_SOAK_CYCLES=N     or N measured cycles
// Run in the plain tree only: under ASan/TSan the memory figures mean nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>

#include <dialkit/runtime.hpp>

#include "../process_stats.hpp"

#if defined(DIALKIT_SOAK_HAVE_NM)
#include <sdbus-c++/sdbus-c++.h>

#include "backend.hpp"

#include "../networkmanager/harness.hpp"
#endif

using namespace dialkit;
using namespace std::chrono_literals;
using dialkit::test::ProcessStats;
using dialkit::test::process_stats;

namespace {

long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  try {
    return std::stol(v);
  } catch (const std::exception&) {
    return fallback;
  }
}

// Events of one dial, waited for with a bound.
class Waiter {
 public:
  EventSlot slot() {
    return [this](const Event& e) {
      std::lock_guard lock(mutex_);
      states_.push_back(e.state);
      if (e.state == State::disconnected) last_error_ = e.error;
      cv_.notify_all();
    };
  }
  bool wait_for(State s, std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, limit, [&] { return std::find(states_.begin(), states_.end(), s) != states_.end(); });
  }
  std::optional<Error> last_error() {
    std::lock_guard lock(mutex_);
    return last_error_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<State> states_;
  std::optional<Error> last_error_;
};

struct SoakPlan {
  std::string name;
  long warmup_cycles;
  long cycles;  // measured cycles, unless DIALKIT_SOAK_SECONDS is set
  std::int64_t rss_tolerance_kb;
  std::int64_t heap_tolerance_kb;
};

// Runs `cycle` (which REQUIREs its own success) for the warm-up and then the measured part,
// prints and records the figures and checks them.
void soak(const SoakPlan& plan, const std::function<void(long)>& cycle) {
  const auto start = process_stats();
  const auto t0 = std::chrono::steady_clock::now();
  long n = 0;
  for (; n < plan.warmup_cycles; ++n) cycle(n);
  const auto warm = process_stats();
  const auto t1 = std::chrono::steady_clock::now();
  const long seconds = env_long("DIALKIT_SOAK_SECONDS", 0);
  const long cycles = env_long("DIALKIT_SOAK_CYCLES", plan.cycles);
  long measured = 0;
  for (;; ++measured, ++n) {
    if (seconds > 0 ? std::chrono::steady_clock::now() - t1 >= std::chrono::seconds(seconds) : measured >= cycles) break;
    cycle(n);
  }
  const auto end = process_stats();
  const auto t2 = std::chrono::steady_clock::now();
  const auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };

  std::ostringstream report;
  report << "soak " << plan.name << ": " << plan.warmup_cycles << " warm-up + " << measured << " measured cycles, "
         << secs(t1 - t0) << " s + " << secs(t2 - t1) << " s\n"
         << "  start:         " << start.str() << "\n"
         << "  after warm-up: " << warm.str() << "\n"
         << "  end:           " << end.str() << "\n"
         << "  growth after warm-up: threads " << end.threads - warm.threads << ", fds " << end.fds - warm.fds
         << ", rss_kb " << end.rss_kb - warm.rss_kb << " (tolerance " << plan.rss_tolerance_kb << "), heap_kb "
         << (end.heap_bytes - warm.heap_bytes) / 1024 << " (tolerance " << plan.heap_tolerance_kb << ")\n";
  std::cout << report.str() << std::flush;
  std::ofstream(std::string(DIALKIT_SOAK_SUMMARY_DIR) + "/soak-" + plan.name + ".txt") << report.str();

  INFO(report.str());
  CHECK(measured > 0);
  CHECK(end.threads == warm.threads);
  CHECK(end.fds == warm.fds);
  CHECK(end.rss_kb - warm.rss_kb <= plan.rss_tolerance_kb);
  CHECK((end.heap_bytes - warm.heap_bytes) / 1024 <= plan.heap_tolerance_kb);
}

}  // namespace

TEST_CASE("soak: the mock plugin dials and hangs up in a loop without growing", "[soak][mock]") {
  RuntimeOptions o;
  o.load_plugins = true;
  o.plugins.paths = {DIALKIT_TEST_PLUGIN_DIR};
  o.plugins.use_environment = false;
  o.plugins.use_install_dir = false;
  o.plugins.use_build_tree = false;
  o.backend_options["mock"]["scenario_dirs"] = DIALKIT_SOAK_SCENARIO_DIR;
  Runtime runtime(o);
  auto dialer = runtime.dialer("mock");
  INFO((dialer ? std::string() : dialer.error().message()));
  REQUIRE(dialer);
  const auto backends = runtime.backends();
  const bool from_plugin = std::any_of(backends.begin(), backends.end(), [](const auto& b) {
    return b.name == "mock" && b.path.find("dialkit-backend-mock") != std::string::npos;
  });
  REQUIRE(from_plugin);

  soak({"mock", 200, 1500, 2048, 256}, [&](long n) {
    Waiter w;
    const bool fails = n % 5 == 4;
    auto conn = dialer->dial(fails ? "soak-busy" : "soak-quick", {}, w.slot());
    INFO("cycle " << n << ": " << (conn ? std::string() : conn.error().message()));
    REQUIRE(conn);
    if (fails) {
      REQUIRE(conn->wait_until_ended(5s));
      const auto error = w.last_error();
      REQUIRE(error);
      REQUIRE(error->code == Errc::line_busy);
    } else {
      REQUIRE(w.wait_for(State::connected, 5s));
      REQUIRE(conn->hangup());
      REQUIRE(conn->wait_until_ended(5s));
      REQUIRE_FALSE(w.last_error());
    }
  });
}

#if defined(DIALKIT_SOAK_HAVE_NM)
TEST_CASE("soak: real NetworkManager activations and hang-ups in a loop without growing", "[soak][realnm][real-peer]") {
  // sdbus-c++ keeps one pseudo connection (two eventfds) per process from its first Variant on.
  { const sdbus::Variant v(std::uint32_t{0}); }
  nm::test::Peer peer("start-realnm.sh");
  Runtime runtime(peer.runtime_options());
  runtime.add_backend(networkmanager::make_factory());
  auto dialer = runtime.dialer("networkmanager");
  INFO((dialer ? std::string() : dialer.error().message()));
  REQUIRE(dialer);

  soak({"realnm", 5, 100, 2048, 256}, [&](long n) {
    Waiter w;
    auto conn = dialer->dial("veth-static", {}, w.slot());
    INFO("cycle " << n << ": " << (conn ? std::string() : conn.error().message()));
    REQUIRE(conn);
    REQUIRE(w.wait_for(State::connected, 15s));
    REQUIRE(conn->hangup());
    REQUIRE(conn->wait_until_ended(10s));
    REQUIRE_FALSE(w.last_error());
  });
  auto live = dialer->connections();
  REQUIRE(live);
  CHECK(live->empty());
}
#endif
