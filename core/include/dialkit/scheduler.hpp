/// @file
/// Time for core and backends: a scheduler that runs tasks after a delay. The real one runs
/// them on its own thread at wall-clock (steady) time; the virtual one runs them in time order
/// only when the test asks, so a scripted dial completes without real sleeping. The mock
/// backend and the dial timeout both use the runtime's scheduler, so they share one clock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <condition_variable>
#include <map>
#include <optional>
#include <thread>
#include <unordered_map>

#include <dialkit/event.hpp>

namespace dialkit {

/// Runs tasks after a delay: the clock of core and backends (real or virtual).
class Scheduler {
 public:
  using Task = std::function<void()>;  ///<a task to run
  using TaskId = std::uint64_t;  ///<identifies a posted task, for cancel()

  virtual ~Scheduler() = default;
  /// Thread-safe.
  [[nodiscard]] virtual Clock::time_point now() const = 0;
  /// Runs `task` once `delay` has passed; tasks due at the same time run in posting order.
  /// Thread-safe; tasks must not block for long (they share one thread in real time).
  virtual TaskId post_after(Clock::duration delay, Task task) = 0;
  /// Removes a task that has not started; true if it was removed. Thread-safe.
  virtual bool cancel(TaskId id) = 0;
};

namespace detail {
/// The schedulers' queue: tasks in due-time order (posting order among equal times), and an
/// index by id, so that cancel() costs O(log n) however many tasks wait. Not thread-safe:
/// the scheduler's lock guards it.
class TaskQueue {
 public:
  void push(Clock::time_point due, Scheduler::TaskId id, Scheduler::Task task);
  bool cancel(Scheduler::TaskId id);
  /// The earliest task's due time; nothing when none waits.
  [[nodiscard]] std::optional<Clock::time_point> next_due() const;
  /// Removes and returns the earliest task (call only when next_due() has a value).
  Scheduler::Task pop();
  [[nodiscard]] std::size_t size() const noexcept { return tasks_.size(); }
  void swap(TaskQueue& other) noexcept;

 private:
  std::map<std::pair<Clock::time_point, Scheduler::TaskId>, Scheduler::Task> tasks_;
  std::unordered_map<Scheduler::TaskId, Clock::time_point> due_;
};
}  // namespace detail

/// Real time: one thread owned by the scheduler; stop() (or the destructor) joins it and drops
/// tasks not yet run.
class RealTimeScheduler final : public Scheduler {
 public:
  RealTimeScheduler();
  ~RealTimeScheduler() override;
  RealTimeScheduler(const RealTimeScheduler&) = delete;
  RealTimeScheduler& operator=(const RealTimeScheduler&) = delete;

  [[nodiscard]] Clock::time_point now() const override;
  TaskId post_after(Clock::duration delay, Task task) override;
  bool cancel(TaskId id) override;
  void stop();  ///<joins the thread; tasks not yet run are dropped

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable wake_;
  detail::TaskQueue tasks_;
  TaskId next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

/// Virtual time: now() starts at a fixed epoch and moves only when run_*() or advance() runs
/// due tasks. Call the run functions from one thread (the test's).
class VirtualScheduler final : public Scheduler {
 public:
  [[nodiscard]] Clock::time_point now() const override;
  TaskId post_after(Clock::duration delay, Task task) override;
  bool cancel(TaskId id) override;

  /// Runs tasks in time order, moving the clock to each, until none is left (or `limit` tasks
  /// ran, against a scenario that loops forever); returns how many ran.
  std::size_t run_until_idle(std::size_t limit = 1'000'000);
  /// Runs the earliest task, moving the clock to it; false if none waits.
  bool run_next();
  /// Runs every task due within `d`, then sets the clock to now + d.
  std::size_t advance(Clock::duration d);
  [[nodiscard]] std::size_t pending() const;  ///<how many tasks wait

 private:
  bool run_one(std::optional<Clock::time_point> until);
  mutable std::mutex mutex_;
  detail::TaskQueue tasks_;
  // Written under mutex_, read without it: now() is asked once per event.
  std::atomic<Clock::time_point> now_{Clock::time_point(std::chrono::hours(1))};
  TaskId next_id_ = 1;
};

}  // namespace dialkit
