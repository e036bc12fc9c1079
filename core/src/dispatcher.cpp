// The dispatcher's threads and its watchdog (dispatcher.hpp).
#include "dispatcher.hpp"

#include <algorithm>

namespace dialkit::detail {

Dispatcher::Dispatcher(std::chrono::milliseconds slow_after, unsigned max_threads, SlowReport on_slow)
    : slow_after_(std::max(slow_after, std::chrono::milliseconds(1))),
      max_threads_(std::max(max_threads, 1U)),
      on_slow_(std::move(on_slow)) {
  std::lock_guard lock(mutex_);
  spawn_locked();
  watchdog_ = std::thread([this] { watch(); });
}

void Dispatcher::post(ConnectionId connection, Task task) {
  std::lock_guard lock(mutex_);
  if (stopped_) return;
  tasks_.push_back({connection, std::move(task)});
  wake_.notify_one();
}

void Dispatcher::stop() {
  std::list<Worker> workers;
  std::thread watchdog;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    wake_.notify_all();
    watch_wake_.notify_all();
  }
  if (watchdog_.joinable()) watchdog_.join();
  // Workers finish the queue and leave; none is added once stopping_ is set.
  for (;;) {
    std::unique_lock lock(mutex_);
    if (workers_.empty()) break;
    workers.splice(workers.end(), workers_);
    lock.unlock();
    for (auto& w : workers) {
      if (w.thread.get_id() == std::this_thread::get_id())
        w.thread.detach();  // stop() from inside a task: this thread leaves when it returns
      else if (w.thread.joinable())
        w.thread.join();
    }
    workers.clear();
  }
  std::lock_guard lock(mutex_);
  stopped_ = true;
  tasks_.clear();
}

unsigned Dispatcher::threads() const {
  std::lock_guard lock(mutex_);
  return live_threads_;
}

void Dispatcher::spawn_locked() {
  workers_.emplace_back();
  Worker* w = &workers_.back();
  ++live_threads_;
  w->thread = std::thread([this, w] { work(*w); });
}

void Dispatcher::work(Worker& self) {
  // How long an extra thread stays without work before it leaves.
  const auto retire_after = std::max<std::chrono::milliseconds>(slow_after_ * 10, std::chrono::seconds(2));
  std::unique_lock lock(mutex_);
  for (;;) {
    const bool woke = wake_.wait_for(lock, retire_after, [this] { return stopping_ || !tasks_.empty(); });
    if (!woke && live_threads_ > 1 && idle_others_locked(self) > 0) break;  // surplus: retire
    if (tasks_.empty()) {
      if (stopping_) break;
      continue;
    }
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    self.busy = true;
    self.reported = false;
    self.connection = task.connection;
    self.started = std::chrono::steady_clock::now();
    // The watchdog ticks while there is work and sleeps after an idle tick; only the first
    // task after such a sleep wakes it (no wake-up per event).
    activity_ = true;
    if (watchdog_sleeping_) {
      watchdog_sleeping_ = false;
      watch_wake_.notify_one();
    }
    lock.unlock();
    task.run();
    task.run = nullptr;
    lock.lock();
    self.busy = false;
  }
  self.done = true;
  --live_threads_;
  watchdog_sleeping_ = false;  // to be joined
  watch_wake_.notify_one();
}

unsigned Dispatcher::idle_others_locked(const Worker& self) const {
  unsigned n = 0;
  for (const auto& w : workers_)
    if (&w != &self && !w.busy && !w.done) ++n;
  return n;
}

void Dispatcher::watch() {
  const auto tick = std::max<std::chrono::milliseconds>(slow_after_ / 4, std::chrono::milliseconds(1));
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (watchdog_sleeping_)
      watch_wake_.wait(lock, [this] { return stopping_ || !watchdog_sleeping_; });
    else
      watch_wake_.wait_for(lock, tick);
    if (stopping_) break;
    // Threads that retired are joined here (a thread cannot join itself).
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (it->done) {
        std::thread t = std::move(it->thread);
        it = workers_.erase(it);
        lock.unlock();
        if (t.joinable()) t.join();
        lock.lock();
      } else {
        ++it;
      }
    }
    const auto now = std::chrono::steady_clock::now();
    bool any_busy = false;
    for (auto& w : workers_) {
      if (!w.busy) continue;
      any_busy = true;
      if (w.reported || now - w.started < slow_after_) continue;
      w.reported = true;
      unsigned free = 0;
      for (const auto& o : workers_)
        if (!o.busy && !o.done) ++free;
      bool at_limit = false;
      if (free == 0) {
        if (live_threads_ < max_threads_)
          spawn_locked();
        else
          at_limit = true;
      }
      const auto ran = std::chrono::duration_cast<std::chrono::milliseconds>(now - w.started);
      // The report is a task too: diagnostics slots run on a dispatcher thread, in order
      // with the events, never on the watchdog.
      if (on_slow_) {
        tasks_.push_back({0, [report = on_slow_, c = w.connection, ran, n = live_threads_, at_limit] {
                            report(c, ran, n, at_limit);
                          }});
        wake_.notify_one();
      }
    }
    if (!any_busy && !activity_) watchdog_sleeping_ = true;
    activity_ = false;
  }
}

}  // namespace dialkit::detail
