// One mock dial (Run: a scenario's steps as scheduler tasks; core holds it through the kit's
// SharedSession), and what the backend and its dials share (BackendCore: the live runs, and
// the poller that answers hang-up requests from other processes through the registry).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <dialkit/mock.hpp>
#include <dialkit/report_gate.hpp>
#include <dialkit/scheduler.hpp>

#include "registry.hpp"

namespace dialkit::mock::detail {

using std::chrono::milliseconds;

// How often the backend looks for hang-up requests of other processes.
inline constexpr auto registry_poll_interval = milliseconds{100};
inline constexpr std::string_view remote_hangup_reason = "hang-up requested by another process";

class BackendCore;

// One dial: the scenario, where it is, and the tasks it has posted.
class Run : public std::enable_shared_from_this<Run> {
 public:
  Run(Scenario scenario, DialRequest request, std::shared_ptr<Reporter> reporter,
      std::shared_ptr<Scheduler> scheduler, std::shared_ptr<Registry> registry,
      std::weak_ptr<BackendCore> backend, std::optional<std::uint64_t> seed_override)
      : scenario_(std::move(scenario)),
        request_(std::move(request)),
        reporter_(std::move(reporter)),
        scheduler_(std::move(scheduler)),
        registry_(std::move(registry)),
        backend_(std::move(backend)),
        id_(Registry::id_for(Registry::own_pid(), request_.connection)) {
    draw_faults(seed_override);
  }

  void start() {
    if (registry_) {
      // A demo aid like the rest of the registry: a full disk must not break the dial.
      (void)registry_->start_log(id_, Registry::own_pid(), request_.entry, request_.attempt == 1);
    }
    std::lock_guard lock(mutex_);
    post_step_locked(0);
  }

  [[nodiscard]] const std::string& id() const noexcept { return id_; }

  [[nodiscard]] std::optional<State> last_state() const {
    std::lock_guard lock(mutex_);
    return last_state_;
  }

  Result<void> resume(const ResumeInput& input);
  // The user's hang-up (through core): stop, and report `disconnecting` if the dial was under
  // way; core reports the final `disconnected`.
  void hangup();
  // Another process asked (or hangup_live for one of ours): end it as the user would, but
  // report the final `disconnected` ourselves since core did not start this.
  void remote_hangup(std::string_view reason);
  // Backend shutdown: stop without reporting, waiting for a task running elsewhere.
  void stop();
  // The session is gone (plugin::SharedSession): stop without reporting or waiting. Core may
  // destroy a session under its control lock; the backend's shutdown() waits for the tasks
  // before the plugin can be unloaded.
  void drop() { finished(); }

  // The dial as live_connections() lists it when there is no registry.
  [[nodiscard]] LiveConnection live_connection() const {
    return LiveConnection{id_, request_.entry, last_state().value_or(State::opening_port), true,
                          scenario_.device_name};
  }

  [[nodiscard]] SessionStatus status() const {
    SessionStatus s;
    s.device_name = scenario_.device_name;
    s.device_type = scenario_.device_type;
    s.phone_number = request_.phone_number.value_or(scenario_.phone_number);
    s.native_id = id_;
    return s;
  }

 private:
  void draw_faults(std::optional<std::uint64_t> seed_override);
  void post_locked(milliseconds delay, std::function<void(Run&)> work);
  void post_step_locked(std::size_t index);
  void run_step(std::size_t index);
  bool pause_answered_by_dial(const Step& step) const;
  // Reports `disconnected` with `error` and ends the run, unless the run was stopped.
  void end_with(const Error& error, std::string reason = {});
  // Reports unless stopped; returns false (and reports nothing) once the run was stopped.
  bool emit(NativeReport report);
  // Logs and reports without emit()'s check: the hang-ups' own reports after halt().
  void send(NativeReport report);
  // Stops the run: no task posts or reports after it (waiting for one running elsewhere if
  // `wait`).
  struct Halted {
    bool first = false;  // this call stopped it
    bool task_running_elsewhere = false;
  };
  Halted halt(bool wait);
  // The end of every run, however it stopped: halt(false) (nothing is left to run), then the
  // log's end, the registry record withdrawn and the run off the backend's list.
  void finished();
  // Appends a report to the connection's log for watches in other processes, in the order it
  // is reported. After a `disconnected` nothing more is logged by this attempt.
  void log(const NativeReport& report);

  const Scenario scenario_;
  const DialRequest request_;
  const std::shared_ptr<Reporter> reporter_;
  const std::shared_ptr<Scheduler> scheduler_;
  const std::shared_ptr<Registry> registry_;  // null when the registry is off
  const std::weak_ptr<BackendCore> backend_;
  const std::string id_;
  std::optional<std::size_t> fail_at_;
  bool drop_after_connected_ = false;

  plugin::ReportGate gate_;
  mutable std::mutex mutex_;
  bool stopped_ = false;  // hung up, shut down or ended: nothing more may happen
  std::optional<State> last_state_;
  std::map<std::uint64_t, Scheduler::TaskId> pending_;
  std::uint64_t next_key_ = 1;
  std::optional<std::size_t> paused_at_;
  std::map<std::size_t, std::uint32_t> wrong_inputs_;  // per paused step

  std::mutex log_mutex_;  // orders log lines; never held while reporting
  std::size_t logged_ = 0;
  bool log_ended_ = false;
  std::optional<State> log_previous_;
  const Clock::time_point log_origin_ = Clock::now();
};


// What the backend and its sessions share: the live runs and the registry poller.
class BackendCore : public std::enable_shared_from_this<BackendCore> {
 public:
  BackendCore(std::shared_ptr<Scheduler> scheduler, std::shared_ptr<Registry> registry)
      : scheduler_(std::move(scheduler)), registry_(std::move(registry)) {}

  bool add(const std::shared_ptr<Run>& run) {
    std::lock_guard lock(mutex_);
    if (shut_down_) return false;
    runs_[run->id()] = run;
    // Ended runs are forgotten once the list has doubled, not on every dial: a dial costs the
    // same however many are in flight.
    if (every_run_.size() >= forget_ended_at_) {
      std::erase_if(every_run_, [](const auto& w) { return w.expired(); });
      forget_ended_at_ = std::max<std::size_t>(64, 2 * every_run_.size());
    }
    every_run_.push_back(run);
    if (registry_ && !poll_task_) schedule_poll_locked();
    return true;
  }
  void remove(const std::string& id) {
    std::lock_guard lock(mutex_);
    runs_.erase(id);
  }
  std::vector<std::shared_ptr<Run>> live() {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Run>> out;
    for (const auto& [id, weak] : runs_)
      if (auto run = weak.lock()) out.push_back(std::move(run));
    return out;
  }
  std::shared_ptr<Run> find(const std::string& id) {
    std::lock_guard lock(mutex_);
    const auto it = runs_.find(id);
    return it == runs_.end() ? nullptr : it->second.lock();
  }

  void shutdown() {
    std::vector<std::shared_ptr<Run>> runs;
    {
      std::lock_guard lock(mutex_);
      shut_down_ = true;
      if (poll_task_) scheduler_->cancel(*poll_task_);
      poll_task_.reset();
      // Ended runs too: one of their tasks may still be finishing on another thread.
      for (const auto& weak : every_run_)
        if (auto run = weak.lock()) runs.push_back(std::move(run));
      runs_.clear();
      every_run_.clear();
    }
    gate_.close();
    for (const auto& run : runs) run->stop();
  }

 private:
  // Looks for hang-up requests from other processes while this backend has live sessions.
  void schedule_poll_locked() {
    poll_task_ = scheduler_->post_after(registry_poll_interval, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->poll();
    });
  }

  void poll() {
    plugin::ReportGate::Pass pass(gate_);
    if (!pass) return;
    {
      std::lock_guard lock(mutex_);
      poll_task_.reset();
    }
    for (const auto& run : live())
      if (registry_->take_hangup_request(run->id())) run->remote_hangup(remote_hangup_reason);
    std::lock_guard lock(mutex_);
    std::erase_if(runs_, [](const auto& kv) { return kv.second.expired(); });
    if (!shut_down_ && !runs_.empty() && !poll_task_) schedule_poll_locked();
  }

  const std::shared_ptr<Scheduler> scheduler_;
  const std::shared_ptr<Registry> registry_;
  plugin::ReportGate gate_;
  std::mutex mutex_;
  bool shut_down_ = false;
  std::map<std::string, std::weak_ptr<Run>> runs_;  // live ones, by registry id
  std::vector<std::weak_ptr<Run>> every_run_;
  std::size_t forget_ended_at_ = 64;
  std::optional<Scheduler::TaskId> poll_task_;
};

}  // namespace dialkit::mock::detail
