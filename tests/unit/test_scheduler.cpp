// The schedulers (core/src/scheduler.cpp): order, cancel among many waiting tasks, and a
// task's captures released outside the scheduler's lock.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <vector>

#include <dialkit/scheduler.hpp>

using namespace std::chrono_literals;
using dialkit::Scheduler;

TEST_CASE("virtual time runs tasks by due time, and in posting order at equal times", "[scheduler]") {
  dialkit::VirtualScheduler clock;
  std::vector<int> ran;
  clock.post_after(20ms, [&] { ran.push_back(3); });
  clock.post_after(10ms, [&] { ran.push_back(1); });
  clock.post_after(10ms, [&] { ran.push_back(2); });
  clock.post_after(-5ms, [&] { ran.push_back(0); });  // a negative delay is due now
  const auto start = clock.now();
  CHECK(clock.run_until_idle() == 4);
  CHECK(ran == std::vector<int>{0, 1, 2, 3});
  CHECK(clock.now() - start == 20ms);
}

TEST_CASE("cancel removes exactly the task it names among many waiting, once", "[scheduler]") {
  dialkit::VirtualScheduler clock;
  constexpr int count = 10'000;
  std::vector<int> ran;
  std::vector<Scheduler::TaskId> ids;
  for (int i = 0; i < count; ++i)
    ids.push_back(clock.post_after(std::chrono::milliseconds(count - i), [&ran, i] { ran.push_back(i); }));
  CHECK(clock.cancel(ids[count / 2]));
  CHECK_FALSE(clock.cancel(ids[count / 2]));
  CHECK_FALSE(clock.cancel(ids.back() + 1));  // never posted
  CHECK(clock.pending() == count - 1);
  CHECK(clock.run_next());
  CHECK(ran == std::vector<int>{count - 1});  // the earliest due: the last posted
  CHECK_FALSE(clock.cancel(ids.back()));      // already ran
  CHECK(clock.run_until_idle() == count - 2);
  CHECK(ran.size() == count - 1);
  CHECK(std::find(ran.begin(), ran.end(), count / 2) == ran.end());
}

TEST_CASE("real time: a cancelled task never runs, and a task posted after stop() never runs", "[scheduler]") {
  dialkit::RealTimeScheduler clock;
  std::promise<void> later_ran;
  bool cancelled_ran = false;
  const auto id = clock.post_after(50ms, [&] { cancelled_ran = true; });
  clock.post_after(100ms, [&] { later_ran.set_value(); });
  CHECK(clock.cancel(id));
  CHECK_FALSE(clock.cancel(id));
  CHECK(later_ran.get_future().wait_for(10s) == std::future_status::ready);
  CHECK_FALSE(cancelled_ran);
  clock.stop();
  bool after_stop_ran = false;
  const auto after = clock.post_after(0ms, [&] { after_stop_ran = true; });
  CHECK_FALSE(clock.cancel(after));
  CHECK_FALSE(after_stop_ran);
}

namespace {
// Cancels a task of its scheduler when destroyed: a capture whose last owner is a task.
class CancelsOnDestruction {
 public:
  CancelsOnDestruction(Scheduler& clock, Scheduler::TaskId other, std::promise<bool>& cancelled)
      : clock_(clock), other_(other), cancelled_(cancelled) {}
  CancelsOnDestruction(const CancelsOnDestruction&) = delete;
  CancelsOnDestruction& operator=(const CancelsOnDestruction&) = delete;
  ~CancelsOnDestruction() { cancelled_.set_value(clock_.cancel(other_)); }

 private:
  Scheduler& clock_;
  Scheduler::TaskId other_;
  std::promise<bool>& cancelled_;
};
}  // namespace

TEST_CASE("a task's captures are released outside the scheduler's lock, so their destructor may call it",
          "[scheduler]") {
  std::promise<bool> cancelled;
  auto outcome = cancelled.get_future();
  auto check = [&](Scheduler& clock) {
    const auto other = clock.post_after(1h, [] {});
    auto guard = std::make_shared<CancelsOnDestruction>(clock, other, cancelled);
    clock.post_after(0ms, [guard = std::move(guard)] {});
  };
  SECTION("real time") {
    dialkit::RealTimeScheduler clock;
    check(clock);
    // Before the fix the scheduler's thread deadlocked on its own lock here.
    REQUIRE(outcome.wait_for(10s) == std::future_status::ready);
    CHECK(outcome.get());
  }
  SECTION("virtual time") {
    dialkit::VirtualScheduler clock;
    check(clock);
    CHECK(clock.run_next());
    REQUIRE(outcome.wait_for(0s) == std::future_status::ready);
    CHECK(outcome.get());
    CHECK(clock.pending() == 0);
  }
}
