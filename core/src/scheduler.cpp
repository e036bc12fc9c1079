// The real-time and virtual-time schedulers.
#include <dialkit/scheduler.hpp>

namespace dialkit {

namespace detail {

void TaskQueue::push(Clock::time_point due, Scheduler::TaskId id, Scheduler::Task task) {
  due_.emplace(id, due);
  tasks_.emplace(std::make_pair(due, id), std::move(task));
}

bool TaskQueue::cancel(Scheduler::TaskId id) {
  const auto it = due_.find(id);
  if (it == due_.end()) return false;
  tasks_.erase(std::make_pair(it->second, id));
  due_.erase(it);
  return true;
}

std::optional<Clock::time_point> TaskQueue::next_due() const {
  if (tasks_.empty()) return std::nullopt;
  return tasks_.begin()->first.first;
}

Scheduler::Task TaskQueue::pop() {
  auto node = tasks_.extract(tasks_.begin());
  due_.erase(node.key().second);
  return std::move(node.mapped());
}

void TaskQueue::swap(TaskQueue& other) noexcept {
  tasks_.swap(other.tasks_);
  due_.swap(other.due_);
}

}  // namespace detail

RealTimeScheduler::RealTimeScheduler() : thread_([this] { run(); }) {}

RealTimeScheduler::~RealTimeScheduler() { stop(); }

Clock::time_point RealTimeScheduler::now() const { return Clock::now(); }

Scheduler::TaskId RealTimeScheduler::post_after(Clock::duration delay, Task task) {
  std::lock_guard lock(mutex_);
  const TaskId id = next_id_++;
  if (stopping_) return id;
  tasks_.push(Clock::now() + delay, id, std::move(task));
  wake_.notify_one();
  return id;
}

bool RealTimeScheduler::cancel(TaskId id) {
  std::lock_guard lock(mutex_);
  return tasks_.cancel(id);
}

void RealTimeScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  detail::TaskQueue dropped;
  {
    std::lock_guard lock(mutex_);
    dropped.swap(tasks_);
  }
}

void RealTimeScheduler::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto due = tasks_.next_due();
    if (!due) {
      wake_.wait(lock);
      continue;
    }
    if (Clock::now() < *due) {
      wake_.wait_until(lock, *due);
      continue;
    }
    auto task = tasks_.pop();
    lock.unlock();
    task();
    task = nullptr;  // its captures go before the lock is taken again
    lock.lock();
  }
}

Clock::time_point VirtualScheduler::now() const { return now_.load(std::memory_order_acquire); }

Scheduler::TaskId VirtualScheduler::post_after(Clock::duration delay, Task task) {
  std::lock_guard lock(mutex_);
  const TaskId id = next_id_++;
  if (delay < Clock::duration::zero()) delay = Clock::duration::zero();
  tasks_.push(now_.load(std::memory_order_relaxed) + delay, id, std::move(task));
  return id;
}

bool VirtualScheduler::cancel(TaskId id) {
  std::lock_guard lock(mutex_);
  return tasks_.cancel(id);
}

bool VirtualScheduler::run_one(std::optional<Clock::time_point> until) {
  Task task;
  {
    std::lock_guard lock(mutex_);
    const auto due = tasks_.next_due();
    if (!due || (until && *due > *until)) return false;
    if (*due > now_.load(std::memory_order_relaxed)) now_.store(*due, std::memory_order_release);
    task = tasks_.pop();
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
  if (now_.load(std::memory_order_relaxed) < until) now_.store(until, std::memory_order_release);
  return ran;
}

std::size_t VirtualScheduler::pending() const {
  std::lock_guard lock(mutex_);
  return tasks_.size();
}

}  // namespace dialkit
