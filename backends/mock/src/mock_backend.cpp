// The mock backend: plays a scenario's steps as scheduler tasks and reports each one. Every
// delay goes through BackendContext::scheduler (never a sleep, never a thread of its own), so
// the same code runs in virtual time in tests and in real time in demos.
#include <dialkit/mock.hpp>

#include <dialkit/install_dirs.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>

#if !defined(_WIN32)
#include <sys/stat.h>
#endif

#include <dialkit/trace.hpp>
#include <nlohmann/json.hpp>

#include "internal.hpp"

namespace dialkit::mock {

namespace fs = std::filesystem;
using detail::Registry;
using detail::RegistryRecord;
using detail::TaskGate;
using std::chrono::milliseconds;

// In-memory scenarios shared by a factory and every backend it made.
class ScenarioStore {
 public:
  void put(Scenario s) {
    std::lock_guard lock(mutex_);
    auto name = s.name;
    scenarios_.insert_or_assign(std::move(name), std::move(s));
  }
  std::optional<Scenario> get(const std::string& name) const {
    std::lock_guard lock(mutex_);
    const auto it = scenarios_.find(name);
    if (it == scenarios_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<Scenario> all() const {
    std::lock_guard lock(mutex_);
    std::vector<Scenario> out;
    for (const auto& [name, s] : scenarios_) out.push_back(s);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Scenario> scenarios_;
};

namespace {

constexpr auto registry_poll_interval = milliseconds{100};
// How often a watch looks for new and grown logs. Nothing is lost between looks (the logs keep
// every event); this only bounds how late a watch prints.
constexpr auto watch_poll_interval = milliseconds{20};
// Bounds on the text of one log line's fields, so that a line stays below max_log_line.
constexpr std::size_t max_log_field = 1024;
constexpr std::string_view own_end_reason = "hung up by the dialling process";
constexpr std::string_view trace_prefix = "trace:";
constexpr std::string_view remote_hangup_reason = "hang-up requested by another process";

std::vector<fs::path> split_dirs(std::string_view list) {
  std::vector<fs::path> out;
  while (!list.empty()) {
    const auto colon = list.find(':');
    const auto part = list.substr(0, colon);
    if (!part.empty()) out.emplace_back(part);
    if (colon == std::string_view::npos) break;
    list.remove_prefix(colon + 1);
  }
  return out;
}

// The first 53 bits of mt19937_64 as a double in [0, 1): the engine's output is fixed by the
// standard, unlike std::uniform_real_distribution's, so a seed means the same on every
// standard library.
double unit(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

NativeReport report_of(const Step& s) {
  return NativeReport{s.state, s.native_code, s.native_name, s.error, s.reason, s.subentry};
}

NativeReport failure_report(const Error& e, std::string reason = {}) {
  return NativeReport{State::disconnected, default_native_code(State::disconnected),
                      std::string(default_native_name(State::disconnected)), e, std::move(reason),
                      std::nullopt};
}

bool matches(const std::optional<std::string>& expected, std::string_view given) {
  return expected ? given == *expected : !given.empty();
}

// The dial options a scenario can honour. The mock declares both (MockFactory::capabilities());
// this is the entry-level check beside core's: a phone number replaces the one the scenario
// dials (status() and the registry show it), so it needs a scenario that dials one; a callback
// number answers a callback_set_by_caller pause, so it needs a scenario that has one (not a
// replayed pause, which goes on by itself). Anything else is refused before the dial starts
// (DESIGN.md section 3: honoured or refused, never ignored).
Result<void> check_honoured(const Scenario& scenario, const DialRequest& request) {
  const std::string which = "scenario \"" + scenario.name + "\"";
  if (request.phone_number && scenario.phone_number.empty())
    return fail(make_error(Errc::not_supported,
                           "the mock backend cannot honour a phone number (--phone) for " + which +
                               ": it dials no number (give it a \"phone_number\")"));
  if (request.callback_number &&
      std::none_of(scenario.steps.begin(), scenario.steps.end(), [](const Step& s) {
        return s.state == State::callback_set_by_caller && s.pause && !s.pause->auto_resume;
      }))
    return fail(make_error(Errc::not_supported,
                           "the mock backend cannot honour a callback number (--callback) for " + which +
                               ": it has no callback_set_by_caller pause to answer"));
  return {};
}

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
  [[nodiscard]] const DialRequest& request() const noexcept { return request_; }
  [[nodiscard]] const Scenario& scenario() const noexcept { return scenario_; }

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
  // The session is gone: stop without reporting or waiting.
  void hangup_quietly() {
    (void)halt(false);
    finished();
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
  // Reports unless stopped; returns false (and reports nothing) once the run was stopped.
  bool emit(NativeReport report);
  // Stops the run: no task posts or reports after it (waiting for one running elsewhere if
  // `wait`).
  struct Halted {
    bool first = false;  // this call stopped it
    bool task_running_elsewhere = false;
  };
  Halted halt(bool wait);
  void finished();
  // Appends a report to the connection's log for watches in other processes, in the order it
  // is reported. After a `disconnected` nothing more is logged by this attempt.
  void log(const NativeReport& report);
  // Logs a `disconnected` with `reason` unless the log already ended.
  void log_end(std::string_view reason);

  const Scenario scenario_;
  const DialRequest request_;
  const std::shared_ptr<Reporter> reporter_;
  const std::shared_ptr<Scheduler> scheduler_;
  const std::shared_ptr<Registry> registry_;  // null when the registry is off
  const std::weak_ptr<BackendCore> backend_;
  const std::string id_;
  std::optional<std::size_t> fail_at_;
  bool drop_after_connected_ = false;

  TaskGate gate_;
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

  [[nodiscard]] const std::shared_ptr<Registry>& registry() const noexcept { return registry_; }

  bool add(const std::shared_ptr<Run>& run) {
    std::lock_guard lock(mutex_);
    if (shut_down_) return false;
    runs_[run->id()] = run;
    std::erase_if(every_run_, [](const auto& w) { return w.expired(); });
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
    TaskGate::Pass pass(gate_);
    if (!pass) return;
    std::vector<std::shared_ptr<Run>> runs;
    {
      std::lock_guard lock(mutex_);
      poll_task_.reset();
      for (const auto& [id, weak] : runs_)
        if (auto run = weak.lock()) runs.push_back(std::move(run));
    }
    for (const auto& run : runs)
      if (registry_->take_hangup_request(run->id())) run->remote_hangup(remote_hangup_reason);
    std::lock_guard lock(mutex_);
    std::erase_if(runs_, [](const auto& kv) { return kv.second.expired(); });
    if (!shut_down_ && !runs_.empty() && !poll_task_) schedule_poll_locked();
  }

  const std::shared_ptr<Scheduler> scheduler_;
  const std::shared_ptr<Registry> registry_;
  TaskGate gate_;
  std::mutex mutex_;
  bool shut_down_ = false;
  std::map<std::string, std::weak_ptr<Run>> runs_;  // live ones, by registry id
  std::vector<std::weak_ptr<Run>> every_run_;
  std::optional<Scheduler::TaskId> poll_task_;
};

void Run::draw_faults(std::optional<std::uint64_t> seed_override) {
  if (!scenario_.faults) return;
  const FaultSpec& f = *scenario_.faults;
  std::mt19937_64 rng(seed_override.value_or(f.seed));
  // Always the same three draws in the same order, so one seed always means one outcome.
  const double fail_draw = unit(rng);
  const std::uint64_t index_draw = rng();
  const double drop_draw = unit(rng);
  if (fail_draw < f.fail_probability) {
    // The failure replaces one step from the second up to the first terminal one, so the
    // dial shows some progress before it fails.
    const auto& steps = scenario_.steps;
    std::size_t last = steps.size() - 1;
    for (std::size_t i = 0; i < steps.size(); ++i)
      if (is_terminal(steps[i].state)) {
        last = i;
        break;
      }
    const std::size_t first = last == 0 ? 0 : 1;
    fail_at_ = first + static_cast<std::size_t>(index_draw % (last - first + 1));
  }
  drop_after_connected_ = drop_draw < f.drop_probability;
}

void Run::post_locked(milliseconds delay, std::function<void(Run&)> work) {
  if (stopped_) return;
  const auto key = next_key_++;
  const auto task_id = scheduler_->post_after(
      delay, [self = shared_from_this(), key, work = std::move(work)] {
        TaskGate::Pass pass(self->gate_);
        if (!pass) return;
        {
          std::lock_guard lock(self->mutex_);
          self->pending_.erase(key);
          if (self->stopped_) return;
        }
        work(*self);
      });
  pending_.emplace(key, task_id);
}

void Run::post_step_locked(std::size_t index) {
  if (index >= scenario_.steps.size()) return;
  post_locked(scenario_.steps[index].delay, [index](Run& run) { run.run_step(index); });
}

bool Run::pause_answered_by_dial(const Step& step) const {
  const PauseSpec& p = *step.pause;
  switch (step.state) {
    case State::retry_authentication:
      // The dial's own credentials are tried first, as RAS does with RASDIALPARAMS.
      return request_.credentials && matches(p.expected, request_.credentials->password.reveal()) &&
             (!p.expected_user || request_.credentials->user == *p.expected_user);
    case State::callback_set_by_caller:
      return request_.callback_number && matches(p.expected, *request_.callback_number);
    default:
      return false;
  }
}

void Run::run_step(std::size_t index) {
  const Step& step = scenario_.steps[index];
  if (fail_at_ == index) {
    const auto& error = scenario_.faults->fail_error;
    if (emit(failure_report(error, "random fault"))) finished();
    return;
  }
  if (step.pause) {
    if (pause_answered_by_dial(step)) {
      std::lock_guard lock(mutex_);
      post_step_locked(index + 1);
      return;
    }
    if (!request_.handle_paused_states) {
      // Like RAS without RDEOPT_PausedStates: the pause becomes the failure it stands for.
      if (emit(failure_report(step.pause->error))) finished();
      return;
    }
    {
      std::lock_guard lock(mutex_);
      paused_at_ = index;
      if (step.pause->auto_resume) post_step_locked(index + 1);
    }
    emit(report_of(step));
    return;
  }
  if (!emit(report_of(step))) return;
  if (step.state == State::disconnected) {
    finished();
    return;
  }
  std::lock_guard lock(mutex_);
  if (step.state == State::connected && drop_after_connected_) {
    post_locked(scenario_.faults->drop_after, [](Run& run) {
      if (run.emit(failure_report(run.scenario_.faults->drop_error, "random fault: link dropped")))
        run.finished();
    });
  }
  post_step_locked(index + 1);
}

Result<void> Run::resume(const ResumeInput& input) {
  std::lock_guard lock(mutex_);
  if (stopped_ || !paused_at_)
    return fail(make_error(Errc::invalid_state, "the mock dial is not paused"));
  const std::size_t index = *paused_at_;
  const Step& step = scenario_.steps[index];
  const PauseSpec& p = *step.pause;
  if (accepted_input(step.state) != resume_input_name(input))
    return fail(make_error(Errc::invalid_argument,
                           std::string(state_name(step.state)) + " takes " +
                               std::string(accepted_input(step.state)) + ", not " +
                               std::string(resume_input_name(input))));
  paused_at_.reset();
  // A replayed pause already has its continuation scheduled at the recorded time.
  if (p.auto_resume) return {};
  bool right = false;
  if (const auto* c = std::get_if<Credentials>(&input))
    right = matches(p.expected, c->password.reveal()) &&
            (!p.expected_user || c->user == *p.expected_user);
  else if (const auto* n = std::get_if<NewPassword>(&input))
    right = matches(p.expected, n->password.reveal());
  else if (const auto* cb = std::get_if<CallbackNumber>(&input))
    right = matches(p.expected, cb->number);
  else if (const auto* eap = std::get_if<EapInput>(&input))
    right = matches(p.expected, eap->data);
  else
    right = true;  // TerminalDone
  if (right) {
    post_step_locked(index + 1);
    return {};
  }
  // Wrong input is the dial's outcome, not an API error: RAS goes on and fails or asks again.
  const auto wrong = ++wrong_inputs_[index];
  if (wrong >= p.max_attempts) {
    post_locked(p.retry.delay, [index](Run& run) {
      if (run.emit(failure_report(run.scenario_.steps[index].pause->error))) run.finished();
    });
    return {};
  }
  post_locked(p.retry.delay, [index](Run& run) {
    const RetryStep& r = run.scenario_.steps[index].pause->retry;
    if (!run.emit(NativeReport{r.state, r.native_code, r.native_name, std::nullopt, {}, std::nullopt}))
      return;
    std::lock_guard relock(run.mutex_);
    run.post_step_locked(index);  // the same pause again, after its own delay
  });
  return {};
}

bool Run::emit(NativeReport report) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return false;
    last_state_ = report.state;
    if (report.state == State::disconnected) stopped_ = true;
  }
  if (registry_ && report.state != State::disconnected) {
    RegistryRecord r;
    r.id = id_;
    r.pid = Registry::own_pid();
    r.connection = request_.connection;
    r.entry = request_.entry;
    r.state = report.state;
    r.native_code = report.native_code;
    r.native_name = report.native_name;
    r.device = scenario_.device_name;
    (void)registry_->publish(r);  // a demo aid: a full disk must not break the dial
  }
  log(report);
  reporter_->report(std::move(report));
  return true;
}

void Run::log(const NativeReport& report) {
  if (!registry_) return;
  auto clip = [](std::string text) {
    if (text.size() > max_log_field) text.resize(max_log_field);
    return text;
  };
  std::lock_guard lock(log_mutex_);
  if (log_ended_) return;
  if (logged_ >= detail::max_log_events && report.state != State::disconnected) return;
  Event e;
  e.connection = request_.connection;
  e.live_id = id_;
  e.backend = std::string(backend_name);
  e.entry = clip(request_.entry);
  e.seq = ++logged_;
  e.state = report.state;
  e.previous = log_previous_;
  e.time = Clock::now();
  e.native_code = report.native_code;
  e.native_name = clip(report.native_name);
  e.error = report.error;
  if (e.error) {
    e.error->native_text = clip(e.error->native_text);
    e.error->detail = clip(e.error->detail);
  }
  e.reason = clip(report.reason);
  e.subentry = report.subentry;
  e.attempt = request_.attempt;
  log_previous_ = report.state;
  if (report.state == State::disconnected) log_ended_ = true;
  (void)registry_->append_log(id_, event_to_json(e, log_origin_));
}

void Run::log_end(std::string_view reason) {
  log(NativeReport{State::disconnected, default_native_code(State::disconnected),
                   std::string(default_native_name(State::disconnected)), std::nullopt,
                   std::string(reason), std::nullopt});
}

Run::Halted Run::halt(bool wait) {
  std::map<std::uint64_t, Scheduler::TaskId> pending;
  Halted h;
  {
    std::lock_guard lock(mutex_);
    h.first = !stopped_;
    stopped_ = true;
    pending.swap(pending_);
  }
  for (const auto& [key, task] : pending) scheduler_->cancel(task);
  if (wait)
    gate_.close();  // a task running on another thread may be inside report(): let it finish
  else
    h.task_running_elsewhere = gate_.close_without_waiting();
  return h;
}

void Run::finished() {
  std::map<std::uint64_t, Scheduler::TaskId> pending;
  {
    std::lock_guard lock(mutex_);
    pending.swap(pending_);
  }
  // A drop fault may still wait after a scenario ended by itself.
  for (const auto& [key, task] : pending) scheduler_->cancel(task);
  log_end("the dial ended in its own process");
  if (registry_) registry_->withdraw(id_);
  if (auto backend = backend_.lock()) backend->remove(id_);
}

void Run::hangup() {
  const auto halted = halt(false);
  if (!halted.first) return;
  const auto last = last_state();
  // `disconnecting` only when no task of ours can report concurrently: after the gate closed,
  // none starts, but one already running elsewhere could land after it and look illegal.
  if (!halted.task_running_elsewhere && last && *last != State::disconnecting &&
      *last != State::disconnected) {
    NativeReport disconnecting{State::disconnecting, default_native_code(State::disconnecting),
                               std::string(default_native_name(State::disconnecting)),
                               std::nullopt, {}, std::nullopt};  // core knows why
    log(disconnecting);
    reporter_->report(std::move(disconnecting));
  }
  // Core gives the final event its reason ("local hang-up", "timeout"); the log, read by
  // other processes, can only say who ended it.
  log_end(own_end_reason);
  // The native end (RASCS_Disconnected): core delivers `disconnected` with this native code
  // and the hang-up's reason once hangup() returned.
  if (!halted.task_running_elsewhere && last != State::disconnected)
    reporter_->report(NativeReport{State::disconnected, default_native_code(State::disconnected),
                                   std::string(default_native_name(State::disconnected)),
                                   std::nullopt, {}, std::nullopt});
  finished();
}

void Run::remote_hangup(std::string_view reason) {
  // Called from our own poll task or from hangup_live(), never under core's control lock.
  if (!halt(true).first) return;
  const auto last = last_state();
  if (last != State::disconnecting) {
    NativeReport disconnecting{State::disconnecting, default_native_code(State::disconnecting),
                               std::string(default_native_name(State::disconnecting)),
                               std::nullopt, std::string(reason), std::nullopt};
    log(disconnecting);
    reporter_->report(std::move(disconnecting));
  }
  NativeReport disconnected{State::disconnected, default_native_code(State::disconnected),
                            std::string(default_native_name(State::disconnected)), std::nullopt,
                            std::string(reason), std::nullopt};
  log(disconnected);
  reporter_->report(std::move(disconnected));
  finished();
}

void Run::stop() {
  (void)halt(true);
  finished();
}

class MockSession final : public Session {
 public:
  explicit MockSession(std::shared_ptr<Run> run) : run_(std::move(run)) {}
  // Core may destroy a session under its control lock: stop without waiting for a task (the
  // backend's shutdown() waits for them before the plugin can be unloaded).
  ~MockSession() override { run_->hangup_quietly(); }
  MockSession(const MockSession&) = delete;
  MockSession& operator=(const MockSession&) = delete;

  Result<void> resume(const ResumeInput& input) override { return run_->resume(input); }
  void hangup() override { run_->hangup(); }
  [[nodiscard]] SessionStatus status() const override { return run_->status(); }

 private:
  std::shared_ptr<Run> run_;
};

// Watches other processes' connections by following their logs (internal.hpp): every event
// each dialling process reported, in order, with its native code, error and reason.
class WatchCore : public std::enable_shared_from_this<WatchCore> {
 public:
  WatchCore(std::shared_ptr<Scheduler> scheduler, std::shared_ptr<Registry> registry,
            std::shared_ptr<WatchSink> sink)
      : scheduler_(std::move(scheduler)), registry_(std::move(registry)), sink_(std::move(sink)) {}

  void start() {
    // Logs that ended before the watch started are history, not news; a live one is followed
    // from its first event. Decided here, before watch() returns, so that a dial started after
    // that is always new, however fast it ends.
    for (const auto& id : registry_->logs()) {
      if (Registry::pid_of(id) == Registry::own_pid()) continue;
      Followed f;
      f.file = file_identity(id);
      f.skip = Registry::pid_of(id) == 0 || !Registry::pid_alive(Registry::pid_of(id)) ||
               ended_already(id);
      followed_.emplace(id, std::move(f));
    }
    std::lock_guard lock(mutex_);
    schedule_locked(Clock::duration::zero());
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
      if (task_) scheduler_->cancel(*task_);
      task_.reset();
    }
    gate_.close();
  }

 private:
  // Where the watch is in one log. Only the poll task touches these (start() runs before it).
  struct Followed {
    std::uint64_t file = 0;  // identity of the file read (inode): a new file starts over
    std::uint64_t offset = 0;
    std::string partial;  // a line whose newline has not come yet
    bool discarding = false;  // inside an over-long line: dropped up to its newline
    bool header_read = false;
    std::string entry;
    long pid = 0;
    std::size_t lines = 0;
    bool ended = false;  // the last event read was `disconnected`
    bool skip = false;   // ended before the watch started, or not a log of ours
  };

  static void restart(Followed& f, std::uint64_t file) {
    f = Followed();
    f.file = file;
  }

  std::uint64_t file_identity(const std::string& id) const {
#if defined(_WIN32)
    (void)id;
    return 0;  // Windows: a shrunken file is the only sign of a new one
#else
    struct stat info {};
    if (::stat((registry_->dir() / (id + ".log")).c_str(), &info) != 0) return 0;
    return static_cast<std::uint64_t>(info.st_ino);
#endif
  }

  bool ended_already(const std::string& id) const {
    Followed probe;
    std::vector<NativeReport> ignored;
    read_new(id, probe, ignored);
    return probe.ended || probe.skip;
  }

  void schedule_locked(Clock::duration delay) {
    if (stopped_) return;
    task_ = scheduler_->post_after(delay, [self = shared_from_this()] { self->poll(); });
  }

  // Reads what was added to the log since `f.offset` and turns each complete line into a report.
  void read_new(const std::string& id, Followed& f, std::vector<NativeReport>& out) const {
    std::ifstream in(registry_->dir() / (id + ".log"), std::ios::binary);
    if (!in) return;
    in.seekg(0, std::ios::end);
    const auto end = static_cast<std::streamoff>(in.tellg());
    if (end < 0) return;
    if (static_cast<std::uint64_t>(end) < f.offset) restart(f, f.file);  // replaced
    // A bounded read per look; the rest comes at the next one.
    constexpr std::uint64_t chunk = 64 * 1024;
    const auto available = static_cast<std::uint64_t>(end) - f.offset;
    std::string data(static_cast<std::size_t>(std::min(available, chunk)), '\0');
    in.seekg(static_cast<std::streamoff>(f.offset));
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    data.resize(static_cast<std::size_t>(in.gcount()));
    f.offset += data.size();
    std::string_view rest(data);
    while (!rest.empty() && !f.skip) {
      const auto nl = rest.find('\n');
      const auto piece = rest.substr(0, nl);
      if (!f.discarding) f.partial.append(piece);
      if (f.partial.size() >= detail::max_log_line) {
        f.partial.clear();
        f.discarding = true;  // no line of ours is this long: skip to the next newline
      }
      if (nl == std::string_view::npos) break;
      rest.remove_prefix(nl + 1);
      if (f.discarding) {
        f.discarding = false;
        continue;
      }
      std::string line = std::move(f.partial);
      f.partial.clear();
      take_line(line, f, out);
    }
  }

  static void take_line(const std::string& line, Followed& f, std::vector<NativeReport>& out) {
    if (!f.header_read) {
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object() || !j.contains("dialkit_mock_log") || !j["pid"].is_number_integer() ||
          !j["entry"].is_string()) {
        f.skip = true;  // not a log this version writes
        return;
      }
      f.header_read = true;
      f.pid = j["pid"].get<long>();
      f.entry = j["entry"].get<std::string>();
      return;
    }
    if (++f.lines > detail::max_log_events + 1) return;  // more than any writer of ours writes
    auto parsed = event_from_json(line);
    if (!parsed) return;  // a damaged line: the next ones still count
    const Event& e = parsed->event;
    f.ended = e.state == State::disconnected;
    out.push_back(NativeReport{e.state, e.native_code, e.native_name, e.error, e.reason, e.subentry});
  }

  void poll() {
    TaskGate::Pass pass(gate_);
    if (!pass) return;
    {
      std::lock_guard lock(mutex_);
      task_.reset();
    }
    const auto own = Registry::own_pid();
    const auto ids = registry_->logs();
    for (const auto& id : ids) {
      if (Registry::pid_of(id) == own) continue;
      Followed& f = followed_[id];
      const auto identity = file_identity(id);
      if (identity != f.file) restart(f, identity);  // a new log under that name
      if (f.skip) continue;
      // Asked before reading: a writer found dead has written all it ever will.
      const bool writer_alive = Registry::pid_alive(Registry::pid_of(id));
      std::vector<NativeReport> reports;
      read_new(id, f, reports);
      // Only this task reads the logs, so the sink is called without a lock held, in order.
      for (auto& r : reports) sink_->report(id, f.entry, std::move(r));
      if (!writer_alive && f.header_read && !f.ended && reports.empty()) {
        f.ended = true;
        sink_->report(id, f.entry,
                      NativeReport{State::disconnected, default_native_code(State::disconnected),
                                   std::string(default_native_name(State::disconnected)),
                                   std::nullopt,
                                   "the dialling process (" + std::to_string(f.pid) +
                                       ") ended without hanging up",
                                   std::nullopt});
      }
    }
    std::erase_if(followed_, [&](const auto& kv) {
      return !std::binary_search(ids.begin(), ids.end(), kv.first);
    });
    if (++polls_ % 250 == 0) registry_->sweep_logs();
    std::lock_guard lock(mutex_);
    schedule_locked(watch_poll_interval);
  }

  const std::shared_ptr<Scheduler> scheduler_;
  const std::shared_ptr<Registry> registry_;
  const std::shared_ptr<WatchSink> sink_;
  TaskGate gate_;
  std::mutex mutex_;
  bool stopped_ = false;
  std::optional<Scheduler::TaskId> task_;
  std::map<std::string, Followed> followed_;
  std::uint64_t polls_ = 0;
};

class MockWatchHandle final : public WatchHandle {
 public:
  explicit MockWatchHandle(std::shared_ptr<WatchCore> core) : core_(std::move(core)) {}
  ~MockWatchHandle() override { core_->stop(); }
  MockWatchHandle(const MockWatchHandle&) = delete;
  MockWatchHandle& operator=(const MockWatchHandle&) = delete;

 private:
  std::shared_ptr<WatchCore> core_;
};

class MockBackend final : public Backend {
 public:
  MockBackend(std::shared_ptr<ScenarioStore> store, const BackendContext& context)
      : store_(std::move(store)),
        scheduler_(context.scheduler),
        dirs_(scenario_search_dirs(context.options)) {
    if (const auto it = context.options.find("registry_dir");
        it != context.options.end() && !it->second.empty())
      registry_ = std::make_shared<Registry>(it->second);
    if (const auto it = context.options.find("fault_seed"); it != context.options.end()) {
      // Checked in create(); here it is known to parse.
      seed_override_ = std::stoull(it->second);
    }
    core_ = std::make_shared<BackendCore>(scheduler_, registry_);
  }
  ~MockBackend() override { core_->shutdown(); }
  MockBackend(const MockBackend&) = delete;
  MockBackend& operator=(const MockBackend&) = delete;

  Result<std::vector<Entry>> entries() override {
    auto listed = list_entries();
    if (!listed) return fail(listed.error());
    return std::move(listed->entries);
  }

  Result<EntryListing> list_entries() override {
    EntryListing listing;
    auto& out = listing.entries;
    std::set<std::string> seen;
    for (const auto& s : store_->all())
      if (seen.insert(s.name).second) out.push_back(Entry{s.name, "scenario", s.description});
    for (const auto& dir : dirs_) {
      std::error_code ec;
      std::vector<fs::path> files;
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".json") files.push_back(it->path());
      std::sort(files.begin(), files.end());
      for (const auto& file : files) {
        const auto name = file.stem().string();
        if (seen.contains(name)) continue;
        // A broken file is left out, and named with the parser's error; dialling it says the same.
        auto scenario = load_scenario_file(file);
        if (!scenario) {
          listing.skipped.push_back(SkippedEntry{file.string(), scenario.error()});
          continue;
        }
        seen.insert(name);
        out.push_back(Entry{name, "scenario", scenario->description});
      }
    }
    return listing;
  }

  Result<std::unique_ptr<Session>> dial(const DialRequest& request,
                                        std::shared_ptr<Reporter> reporter) override {
    auto scenario = find_scenario(request.entry);
    if (!scenario) return fail(scenario.error());
    if (auto honoured = check_honoured(*scenario, request); !honoured) return fail(honoured.error());
    auto run = std::make_shared<Run>(std::move(*scenario), request, std::move(reporter),
                                     scheduler_, registry_, core_, seed_override_);
    if (!core_->add(run))
      return fail(make_error(Errc::invalid_state, "the mock backend is shut down"));
    run->start();
    return std::unique_ptr<Session>(std::make_unique<MockSession>(run));
  }

  Result<std::vector<LiveConnection>> live_connections() override {
    std::vector<LiveConnection> out;
    if (!registry_) {
      for (const auto& run : core_->live())
        out.push_back(LiveConnection{run->id(), run->request().entry,
                                     run->last_state().value_or(State::opening_port), true,
                                     run->scenario().device_name});
      return out;
    }
    const auto own = Registry::own_pid();
    for (const auto& r : registry_->records())
      out.push_back(LiveConnection{r.id, r.entry, r.state, r.pid == own, r.device});
    return out;
  }

  Result<void> hangup_live(std::string_view id_view) override {
    const std::string id(id_view);
    // One of ours: no need to go through the file system.
    if (auto run = core_->find(id)) {
      run->remote_hangup("hang-up requested by id");
      return {};
    }
    if (!registry_)
      return fail(make_error(Errc::unknown_entry,
                             "no live mock connection \"" + id +
                                 "\" in this process (set the mock's registry_dir option to reach other processes)"));
    if (!registry_->record(id))
      return fail(make_error(Errc::unknown_entry, "no live mock connection \"" + id + "\" in " +
                                                      registry_->dir().string()));
    return registry_->request_hangup(id);
  }

  Result<std::unique_ptr<WatchHandle>> watch(std::shared_ptr<WatchSink> sink) override {
    if (!registry_)
      return fail(make_error(Errc::not_supported,
                             "the mock watches other processes only with its registry_dir option set"));
    auto core = std::make_shared<WatchCore>(scheduler_, registry_, std::move(sink));
    core->start();
    return std::unique_ptr<WatchHandle>(std::make_unique<MockWatchHandle>(std::move(core)));
  }

  void shutdown() override { core_->shutdown(); }

 private:
  Result<Scenario> find_scenario(const std::string& entry) const {
    if (entry.starts_with(trace_prefix)) {
      const fs::path file(entry.substr(trace_prefix.size()));
      auto trace = read_trace(file);
      if (!trace) return fail(trace.error());
      auto scenario = scenario_from_trace(*trace);
      if (!scenario) {
        auto e = scenario.error();
        e.detail = file.string() + ": " + e.detail;
        return fail(e);
      }
      scenario->source = entry;
      return scenario;
    }
    if (auto s = store_->get(entry)) return *s;
    // An entry is a file stem, never a path: no climbing out of the scenario directories.
    if (entry.empty() || entry.find('/') != std::string::npos || entry.starts_with("."))
      return fail(make_error(Errc::unknown_entry, "\"" + entry + "\" is not a scenario name"));
    for (const auto& dir : dirs_) {
      const auto file = dir / (entry + ".json");
      std::error_code ec;
      if (fs::is_regular_file(file, ec)) return load_scenario_file(file);
    }
    std::string searched;
    for (const auto& dir : dirs_) searched += (searched.empty() ? "" : ", ") + dir.string();
    return fail(make_error(Errc::unknown_entry,
                           "no mock scenario \"" + entry + "\" (searched: " + searched + ")"));
  }

  std::shared_ptr<ScenarioStore> store_;
  std::shared_ptr<Scheduler> scheduler_;
  std::vector<fs::path> dirs_;
  std::shared_ptr<Registry> registry_;
  std::optional<std::uint64_t> seed_override_;
  std::shared_ptr<BackendCore> core_;
};

}  // namespace

std::vector<fs::path> shipped_scenario_dirs() {
  // Found relative to the libdialkit-core in use (the plugin and the static library alike):
  // an installed core gives the installed copy, a build tree's core the source tree's files.
  const auto& data = dialkit_dirs().data_dir;
  if (data.empty()) return {};
  return {data / "scenarios"};
}

std::vector<fs::path> scenario_search_dirs(const std::map<std::string, std::string>& options) {
  std::vector<fs::path> dirs;
  if (const auto it = options.find("scenario_dirs"); it != options.end())
    for (auto& d : split_dirs(it->second)) dirs.push_back(std::move(d));
  if (const char* env = std::getenv("DIALKIT_MOCK_SCENARIOS"))
    for (auto& d : split_dirs(env)) dirs.push_back(std::move(d));
  for (auto& d : shipped_scenario_dirs()) dirs.push_back(std::move(d));
  return dirs;
}

MockFactory::MockFactory() : store_(std::make_shared<ScenarioStore>()) {}
MockFactory::~MockFactory() = default;

std::string MockFactory::name() const { return std::string(backend_name); }

std::string MockFactory::description() const {
  return "scripted dials from scenario files and recorded traces (for tests and demos)";
}

// What scenarios can script: credentials (checked against the scenario's expected ones), a
// phone number (for a scenario that dials one), a callback number (for one with a
// callback_set_by_caller pause), multilink bundles (subentry steps), EAP (the invoke_eap_ui
// pause) and every other pause. The registry is polled for others' dials.
Capabilities MockFactory::capabilities() const {
  return Capabilities{}
      .with(DialOption::credentials)
      .with(DialOption::phone_number)
      .with(DialOption::callback_number)
      .with(DialOption::multilink)
      .with(DialOption::eap)
      .with_every_pause()
      .with_watch(WatchKind::polling)
      .with_hangup_by_id();
}

Result<void> MockFactory::probe() const { return {}; }

Result<std::unique_ptr<Backend>> MockFactory::create(const BackendContext& context) {
  if (!context.scheduler)
    return fail(make_error(Errc::invalid_argument, "the mock backend needs a scheduler"));
  if (const auto it = context.options.find("fault_seed"); it != context.options.end()) {
    const auto& v = it->second;
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 19)
      return fail(make_error(Errc::invalid_argument,
                             "mock option fault_seed must be a non-negative integer, not \"" + v + "\""));
  }
  try {
    return std::unique_ptr<Backend>(std::make_unique<MockBackend>(store_, context));
  } catch (const std::exception& e) {
    return fail(make_error(Errc::system_error, std::string("cannot create the mock backend: ") + e.what()));
  }
}

Result<void> MockFactory::add_scenario(Scenario scenario) {
  if (scenario.source.empty()) scenario.source = "scenario " + scenario.name;
  if (auto ok = validate(scenario); !ok) return ok;
  store_->put(std::move(scenario));
  return {};
}

std::shared_ptr<MockFactory> make_factory() { return std::make_shared<MockFactory>(); }

}  // namespace dialkit::mock
