// The real-time and virtual-time schedulers.
#include <dialkit/scheduler.hpp>

namespace dialkit {

RealTimeScheduler::RealTimeScheduler() : thread_([this] { run(); }) {}

RealTimeScheduler::~RealTimeScheduler() { stop(); }

Clock::time_point RealTimeScheduler::now() const { return Clock::now(); }

Scheduler::TaskId RealTimeScheduler::post_after(Clock::duration delay, Task task) {
  std::lock_guard lock(mutex_);
  const TaskId id = next_id_++;
  if (stopping_) return id;
  tasks_.emplace(std::make_pair(Clock::now() + delay, id), std::move(task));
  wake_.notify_one();
  return id;
}

bool RealTimeScheduler::cancel(TaskId id) {
  std::lock_guard lock(mutex_);
  for (auto it = tasks_.begin(); it != tasks_.end(); ++it) {
    if (it->first.second == id) {
      tasks_.erase(it);
      return true;
    }
  }
  return false;
}

void RealTimeScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  std::multimap<std::pair<Clock::time_point, TaskId>, Task> dropped;
  {
    std::lock_guard lock(mutex_);
    dropped.swap(tasks_);
  }
}

void RealTimeScheduler::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (tasks_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const auto due = tasks_.begin()->first.first;
    if (Clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;
    }
    auto node = tasks_.extract(tasks_.begin());
    lock.unlock();
    node.mapped()();
    lock.lock();
  }
}

Clock::time_point VirtualScheduler::now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

Scheduler::TaskId VirtualScheduler::post_after(Clock::duration delay, Task task) {
  std::lock_guard lock(mutex_);
  const TaskId id = next_id_++;
  if (delay < Clock::duration::zero()) delay = Clock::duration::zero();
  tasks_.emplace(std::make_pair(now_ + delay, id), std::move(task));
  return id;
}

bool VirtualScheduler::cancel(TaskId id) {
  std::lock_guard lock(mutex_);
  for (auto it = tasks_.begin(); it != tasks_.end(); ++it) {
    if (it->first.second == id) {
      tasks_.erase(it);
      return true;
    }
  }
  return false;
}

bool VirtualScheduler::run_one(std::optional<Clock::time_point> until) {
  Task task;
  {
    std::lock_guard lock(mutex_);
    if (tasks_.empty()) return false;
    const auto due = tasks_.begin()->first.first;
    if (until && due > *until) return false;
    auto node = tasks_.extract(tasks_.begin());
    if (due > now_) now_ = due;
    task = std::move(node.mapped());
  }
  task();
  return true;
}

std::size_t VirtualScheduler::run_until_idle(std::size_t limit) {
  std::size_t ran = 0;
  while (ran < limit && run_one(std::nullopt)) ++ran;
  return ran;
}

bool VirtualScheduler::run_next() { return run_one(std::nullopt); }

std::size_t VirtualScheduler::advance(Clock::duration d) {
  const auto until = now() + d;
  std::size_t ran = 0;
  while (run_one(until)) ++ran;
  std::lock_guard lock(mutex_);
  if (now_ < until) now_ = until;
  return ran;
}

std::size_t VirtualScheduler::pending() const {
  std::lock_guard lock(mutex_);
  return tasks_.size();
}

}  // namespace dialkit
