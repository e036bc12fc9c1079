// The runtime's own dispatcher: the threads that run delivery tasks (subscribers' slots) when
// the runtime delivers on a thread of its own (RuntimeOptions::Delivery::dispatcher_thread).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

#include <dialkit/event.hpp>

namespace dialkit::detail {

// One thread normally. A watchdog notices a task (a slot) that has run longer than
// `slow_after`; it reports it and, when no thread is free, starts another (up to
// `max_threads`), so the other connections' events wait at most about `slow_after` (plus a
// quarter of it, the watchdog's tick) for one blocked slot. Per-connection order is kept by
// the connection strands, whatever the number of threads. Extra threads retire after a while
// without work.
class Dispatcher {
 public:
  using Task = std::function<void()>;
  // What the watchdog tells: the connection of the slow task, how long it has run, the
  // threads now and whether one could be added.
  using SlowReport = std::function<void(ConnectionId, std::chrono::milliseconds, unsigned threads,
                                        bool at_limit)>;

  Dispatcher(std::chrono::milliseconds slow_after, unsigned max_threads, SlowReport on_slow);
  ~Dispatcher() { stop(); }
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // After stop() a task is dropped: nothing is delivered once the runtime is torn down.
  void post(ConnectionId connection, Task task);
  // Runs what is queued, then stops; tasks posted meanwhile still run.
  void stop();
  // Threads delivering now (for tests and diagnostics).
  unsigned threads() const;

 private:
  struct Queued {
    ConnectionId connection;
    Task run;
  };
  struct Worker {
    std::thread thread;
    bool busy = false;
    bool reported = false;  // its current task was reported slow
    bool done = false;      // left its loop; the watchdog joins it
    ConnectionId connection = 0;
    std::chrono::steady_clock::time_point started;
  };

  void spawn_locked();
  void work(Worker& self);
  unsigned idle_others_locked(const Worker& self) const;
  void watch();

  const std::chrono::milliseconds slow_after_;
  const unsigned max_threads_;
  const SlowReport on_slow_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;        // workers wait for tasks
  std::condition_variable watch_wake_;  // the watchdog waits for a busy worker
  std::deque<Queued> tasks_;
  std::list<Worker> workers_;
  unsigned live_threads_ = 0;
  bool watchdog_sleeping_ = true;  // waits without a timeout until a task starts
  bool activity_ = false;          // a task started since the last tick
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread watchdog_;
};

}  // namespace dialkit::detail
