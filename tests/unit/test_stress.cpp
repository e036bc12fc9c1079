// 1,000 connections dialed from 8 threads, with backend reports, random resumes and random
// hang-ups racing each other on the dispatcher: nothing may be lost, doubled or reordered.
// Then the same with slots that act: they subscribe to and unsubscribe from other
// connections, disconnect themselves and hang up their own and other connections from inside;
// late subscribers come at every point of a dial, the end included; delivery runs on a
// dispatcher pool that grows past blocked slots, and on a custom executor.
// Run it under TSan (./dev test --sanitize=thread).
#include <catch2/catch.hpp>

#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

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

namespace {

// A custom executor: four threads taking delivery tasks from one queue.
class Pool {
 public:
  explicit Pool(int n) {
    for (int i = 0; i < n; ++i)
      threads_.emplace_back([this] {
        std::unique_lock lock(mutex_);
        for (;;) {
          wake_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
          if (tasks_.empty()) return;
          auto task = std::move(tasks_.front());
          tasks_.pop_front();
          lock.unlock();
          task();
          task = nullptr;
          lock.lock();
        }
      });
  }
  ~Pool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  Executor executor() {
    return [this](std::function<void()> task) {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
      wake_.notify_one();
    };
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// What one connection of the second test keeps. The collectors are written by slots only.
struct Tracked {
  Collector events;     // the handler given to dial()
  Collector late;       // subscribed (current state first) from the dialling thread, at any point
  Collector quitter;    // disconnects itself from inside its second call
  Collector guest;      // this connection's slot subscribed it to ANOTHER connection
  std::mutex mutex;     // guards what follows
  std::optional<Connection> conn;
  std::shared_ptr<SessionLog> session;
  Subscription late_sub, quitter_sub, guest_sub;
  std::optional<std::size_t> guest_of;
  int quitter_calls = 0;
};

std::optional<Connection> handle_of(Tracked& t) {
  std::lock_guard lock(t.mutex);
  return t.conn;
}

// Waits until every item queued on the connection's strand so far has been delivered: a
// subscriber asking for the current state first is served after them.
bool strand_drained(Connection& c) {
  auto done = std::make_shared<std::promise<void>>();
  auto once = std::make_shared<std::atomic<bool>>(false);
  auto sub = c.subscribe([done, once](const Event&) {
    if (!once->exchange(true)) done->set_value();
  });
  return done->get_future().wait_for(20s) == std::future_status::ready;
}

// A subscriber's view is whole: after its first event (a replay of the latest, or seq 1) every
// event follows the one before, none is replayed, and nothing follows `disconnected`.
void check_contiguous(const char* who, Collector& c, bool must_end) {
  INFO(who);
  CHECK_FALSE(c.overlapped);
  if (c.size() == 0) {
    CHECK_FALSE(must_end);
    return;
  }
  CHECK((c.at(0).replayed || c.at(0).seq == 1));
  for (std::size_t i = 1; i < c.size(); ++i) {
    CHECK(c.at(i).seq == c.at(i - 1).seq + 1);
    CHECK_FALSE(c.at(i).replayed);
    CHECK(c.at(i - 1).state != State::disconnected);
  }
  if (must_end) CHECK(c.at(c.size() - 1).state == State::disconnected);
}

}  // namespace

TEST_CASE("1000 connections whose slots subscribe, disconnect and hang up across connections",
          "[stress][rule1][rule6][rule7]") {
  // Delivery on the runtime's dispatcher (slow_slot_after low, so blocking slots make the pool
  // grow) or on a custom executor of four threads.
  const bool custom = GENERATE(false, true);
  CAPTURE(custom);
  constexpr std::size_t threads = 8;
  constexpr std::size_t per_thread = 125;
  constexpr std::size_t total = threads * per_thread;

  std::vector<std::unique_ptr<Tracked>> tracked;
  for (std::size_t i = 0; i < total; ++i) tracked.push_back(std::make_unique<Tracked>());
  std::mutex diag_mutex;
  std::vector<Diagnostic> diagnostics;
  std::atomic<std::uint64_t> bus_total{0};
  std::atomic<int> failures{0};  // Catch2's assertions are not thread-safe
  auto log = std::make_shared<BackendLog>();
  std::optional<Pool> pool;
  if (custom) pool.emplace(4);

  {
    RuntimeOptions o;
    o.load_plugins = false;
    if (custom) {
      o.delivery = RuntimeOptions::Delivery::custom;
      o.executor = pool->executor();
    } else {
      o.slow_slot_after = 20ms;
      o.max_dispatcher_threads = 4;
    }
    Runtime rt(o);
    rt.add_backend(std::make_shared<ScriptFactory>(log));
    auto dialer = *rt.dialer("script");
    auto all = rt.on_event([&](const Event&) { bus_total.fetch_add(1); });
    auto diag = rt.on_diagnostic([&](const Diagnostic& d) {
      std::lock_guard lock(diag_mutex);
      diagnostics.push_back(d);
    });

    // The handler of connection i acts from inside its slot.
    auto handler = [&](std::size_t i) {
      return [&, i](const Event& e) {
        Tracked& me = *tracked[i];
        me.events.slot()(e);
        if (e.seq == 1 && i % 97 == 0) std::this_thread::sleep_for(30ms);  // a slot that blocks
        if (e.seq == 2) {
          // Subscribe to another connection: the other thread's connection at the same place
          // (live, most likely), else the previous one (ended, most likely).
          std::size_t target = (i + per_thread) % total;
          auto other = handle_of(*tracked[target]);
          if (!other) {
            target = (i + total - 1) % total;
            other = handle_of(*tracked[target]);
          }
          if (other) {
            auto sub = other->subscribe(me.guest.slot(), true);
            std::lock_guard lock(me.mutex);
            me.guest_of = target;
            me.guest_sub = std::move(sub);
          }
        }
        if (e.seq == 3 && i % 2 == 0) {
          std::lock_guard lock(me.mutex);
          me.guest_sub.disconnect();  // and unsubscribe it again, from inside this slot
        }
        if (e.state == State::authenticating && i % 5 == 0) {
          if (auto self = handle_of(me); self && !self->hangup()) failures++;  // its own
        }
        if (e.state == State::connecting_device && i % 7 == 0) {
          if (auto other = handle_of(*tracked[(i + 3 * per_thread) % total]); other && !other->hangup())
            failures++;  // another thread's connection
        }
      };
    };

    std::vector<std::thread> workers;
    for (std::size_t t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        std::mt19937 rng(static_cast<unsigned>(300 + t));
        for (std::size_t k = 0; k < per_thread; ++k) {
          const std::size_t index = t * per_thread + k;
          Tracked& me = *tracked[index];
          DialOptions opts;
          opts.handle_paused_states = true;
          auto conn = dialer.dial("line", opts, handler(index));
          if (!conn) {
            failures++;
            continue;
          }
          std::shared_ptr<SessionLog> session;
          {
            std::lock_guard lock(log->mutex);
            for (auto& s : log->sessions)
              if (s->request.connection == conn->id()) session = s;
          }
          if (!session) {
            failures++;
            continue;
          }
          // A slot that disconnects itself from inside its second call; subscribed before
          // anything is reported, so its Subscription is stored before it can run.
          auto quit = conn->subscribe(
              [&me](const Event& e) {
                me.quitter.slot()(e);
                std::lock_guard lock(me.mutex);
                if (++me.quitter_calls == 2) me.quitter_sub.disconnect();
              },
              false);
          {
            std::lock_guard lock(me.mutex);
            me.conn = *conn;
            me.session = session;
            me.quitter_sub = std::move(quit);
          }
          // The late subscriber comes at a random point: before the first report, in the
          // middle, or after the last report (the end reported, perhaps not delivered yet).
          const auto late_at = rng() % 6;
          auto subscribe_late = [&](unsigned at) {
            if (at != late_at) return;
            auto sub = conn->subscribe(me.late.slot(), true);
            std::lock_guard lock(me.mutex);
            me.late_sub = std::move(sub);
          };
          auto& s = *session;
          subscribe_late(0);
          s.report(State::opening_port);
          s.report(State::connecting_device, 2);
          subscribe_late(1);
          s.report(State::authenticating, 5);
          subscribe_late(2);
          s.report(State::retry_authentication, 0x1001);
          subscribe_late(3);
          switch (rng() % 3) {
            case 0:
              if (conn->resume(Credentials{"u", Secret("p"), ""})) {
                s.report(State::authenticating, 6);
                s.report(State::connected, 0x2000);
              }
              subscribe_late(4);
              if (!conn->hangup()) failures++;
              break;
            case 1:
              subscribe_late(4);
              if (!conn->hangup()) failures++;
              break;
            default:
              subscribe_late(4);
              s.report_error(Errc::peer_hung_up, 16);
              break;
          }
          subscribe_late(5);
        }
      });
    }
    for (auto& w : workers) w.join();
    REQUIRE(failures == 0);
    for (auto& t : tracked) {
      auto c = handle_of(*t);
      REQUIRE(c);
      REQUIRE(c->wait_until_ended(20s));
    }
    for (auto& t : tracked) {
      auto c = handle_of(*t);
      REQUIRE(strand_drained(*c));
    }
    CHECK(rt.illegal_transitions() == 0);
  }  // the runtime goes first, then the pool (which runs what is left: nothing reaches a slot)
  pool.reset();

  std::uint64_t delivered = 0;
  for (std::size_t i = 0; i < total; ++i) {
    INFO("connection " << i);
    Tracked& t = *tracked[i];
    // The handler saw the whole life, from seq 1, ending once.
    REQUIRE(t.events.size() >= 1);
    check_contiguous("handler", t.events, true);
    CHECK(t.events.at(0).seq == 1);
    CHECK_FALSE(t.events.at(0).replayed);
    delivered += t.events.size();
    // The late subscriber missed nothing from its start, and got the end (DESIGN rules 1, 7).
    check_contiguous("late subscriber", t.late, true);
    // The self-disconnecting slot ran at most twice.
    CHECK(t.quitter.size() <= 2);
    check_contiguous("self-disconnecting slot", t.quitter, false);
    // The guest (subscribed from inside a slot, perhaps unsubscribed again) saw a whole part.
    check_contiguous("guest", t.guest, false);
    if (t.guest_of && i % 2 == 1) {
      // Never unsubscribed: it saw the other connection's end.
      check_contiguous("guest", t.guest, true);
    }
  }
  CHECK(bus_total.load() == delivered);
  std::lock_guard lock(diag_mutex);
  bool grew = false;
  for (const auto& d : diagnostics) {
    INFO(d.message);
    CHECK((d.kind == Diagnostic::Kind::late_report || d.kind == Diagnostic::Kind::slow_slot));
    if (d.kind == Diagnostic::Kind::slow_slot && d.message.find("on another dispatcher thread") != std::string::npos)
      grew = true;
  }
  if (!custom) CHECK(grew);  // the dispatcher pool grew past a blocked slot
}
