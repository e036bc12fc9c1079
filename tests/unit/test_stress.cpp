// 1,000 connections dialed from 8 threads, with backend reports, random resumes and random
// hang-ups racing each other on the dispatcher: nothing may be lost, doubled or reordered.
// Run it under TSan (./dev test --sanitize=thread).
#include <catch2/catch.hpp>

#include <random>
#include <thread>

#include "script_backend.hpp"

using namespace dialkit;
using namespace dialkit::test;
using namespace std::chrono_literals;

TEST_CASE("1000 connections over 8 threads: no loss, no duplicate, no reordering", "[stress]") {
  constexpr int threads = 8;
  constexpr int per_thread = 125;
  auto log = std::make_shared<BackendLog>();
  RuntimeOptions o;
  o.load_plugins = false;
  Runtime rt(o);
  rt.add_backend(std::make_shared<ScriptFactory>(log));
  auto dialer = *rt.dialer("script");

  std::atomic<std::uint64_t> bus_total{0};
  auto all = rt.on_event([&](const Event&) { bus_total.fetch_add(1); });

  struct Slot {
    std::unique_ptr<Collector> events = std::make_unique<Collector>();
    std::optional<Connection> conn;
    std::shared_ptr<SessionLog> session;
  };
  std::vector<Slot> slots(threads * per_thread);
  std::mutex slots_mutex;  // guards `ready` for the chaos thread
  std::vector<std::size_t> ready;
  std::atomic<bool> done{false};
  // Catch2's assertions are not thread-safe: threads count failures, the test thread checks.
  std::atomic<int> failures{0};

  std::thread chaos([&] {
    std::mt19937 rng(7);
    while (!done) {
      std::optional<Connection> victim;
      {
        std::lock_guard lock(slots_mutex);
        if (!ready.empty()) victim = slots[ready[rng() % ready.size()]].conn;
      }
      if (victim && !victim->hangup()) failures++;
      std::this_thread::yield();
    }
  });

  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(100 + t));
      for (int i = 0; i < per_thread; ++i) {
        const std::size_t index = static_cast<std::size_t>(t * per_thread + i);
        Slot& slot = slots[index];
        DialOptions opts;
        opts.handle_paused_states = true;
        auto conn = dialer.dial("line", opts, slot.events->slot());
        if (!conn) {
          failures++;
          continue;
        }
        slot.conn = *conn;
        {
          std::lock_guard lock(log->mutex);
          slot.session = log->sessions.back();
          for (auto& s : log->sessions)
            if (s->request.connection == conn->id()) slot.session = s;
        }
        {
          std::lock_guard lock(slots_mutex);
          ready.push_back(index);
        }
        auto& s = *slot.session;
        s.report(State::opening_port);
        s.report(State::connecting_device, 2);
        s.report(State::authenticating, 5);
        s.report(State::retry_authentication, 0x1001);
        switch (rng() % 3) {
          case 0:
            if (conn->resume(Credentials{"u", Secret("p"), ""})) {
              s.report(State::authenticating, 6);
              s.report(State::auth_project, 10);
              s.report(State::connected, 0x2000);
            }
            (void)conn->hangup();
            break;
          case 1:
            (void)conn->hangup();
            break;
          default:
            s.report_error(Errc::peer_hung_up, 16);
            break;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  done = true;
  chaos.join();
  REQUIRE(failures == 0);

  std::uint64_t total = 0;
  for (auto& slot : slots) {
    REQUIRE(slot.conn->wait_until_ended(20s));
  }
  for (auto& slot : slots) {
    auto& c = *slot.events;
    CHECK_FALSE(c.overlapped);
    REQUIRE(c.size() >= 1);
    std::optional<State> prev;
    int ends = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
      const auto e = c.at(i);
      CHECK(e.seq == i + 1);
      CHECK(e.previous == prev);
      prev = e.state;
      if (e.state == State::disconnected) ++ends;
    }
    CHECK(ends == 1);
    CHECK(c.at(c.size() - 1).state == State::disconnected);
    total += c.size();
  }
  CHECK(rt.illegal_transitions() == 0);
  // Every event reached the runtime-wide subscriber exactly once too. (A connection counts as
  // ended only after its last event went to the runtime-wide slots as well.)
  CHECK(bus_total.load() == total);
}
