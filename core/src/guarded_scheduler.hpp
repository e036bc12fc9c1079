// The scheduler a backend gets: the runtime's, with each task guarded (run_guarded), so a task
// that throws fails the backend (BackendContext::failed) instead of ending the process.
#pragma once

#include <memory>
#include <string>

#include <dialkit/backend.hpp>
#include <dialkit/scheduler.hpp>

namespace dialkit::detail {

// A task carries one shared pointer to the guard, not copies of it: the mock posts a task per
// step.
class GuardedScheduler final : public Scheduler {
 public:
  GuardedScheduler(std::shared_ptr<Scheduler> inner, BackendFailure failed, const std::string& backend)
      : inner_(std::move(inner)),
        guard_(std::make_shared<const Guard>(
            Guard{std::move(failed), "a scheduler task of backend \"" + backend + "\""})) {}
  [[nodiscard]] Clock::time_point now() const override { return inner_->now(); }
  TaskId post_after(Clock::duration delay, Task task) override {
    return inner_->post_after(delay, [guard = guard_, task = std::move(task)] {
      run_guarded(guard->failed, guard->what, task);
    });
  }
  bool cancel(TaskId id) override { return inner_->cancel(id); }

 private:
  struct Guard {
    BackendFailure failed;
    std::string what;
  };
  std::shared_ptr<Scheduler> inner_;
  std::shared_ptr<const Guard> guard_;
};

}  // namespace dialkit::detail
