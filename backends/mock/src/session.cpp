// A mock dial: plays a scenario's steps as scheduler tasks and reports each one. Every delay
// goes through BackendContext::scheduler (never a sleep, never a thread of its own), so the same
// code runs in virtual time in tests and in real time in demos.
#include "session.hpp"

#include <algorithm>
#include <random>

#include <dialkit/trace.hpp>

#include "mapping.hpp"

namespace dialkit::mock::detail {

namespace {

// Bounds on the text of one log line's fields, so that a line stays below max_log_line.
constexpr std::size_t max_log_field = 1024;
constexpr std::string_view own_end_reason = "hung up by the dialling process";

// The first 53 bits of mt19937_64 as a double in [0, 1): the engine's output is fixed by the
// standard, unlike std::uniform_real_distribution's, so a seed means the same on every
// standard library.
double unit(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

NativeReport report_of(const Step& s) {
  return NativeReport{s.state, s.native_code, s.native_name, s.error, s.reason, s.subentry};
}

bool matches(const std::optional<std::string>& expected, std::string_view given) {
  return expected ? given == *expected : !given.empty();
}

// True when `input` ends pause `p`: the expected value (any, if none), with the expected user
// name for credentials; TerminalDone always does.
bool accepts(const PauseSpec& p, const ResumeInput& input) {
  if (const auto* c = std::get_if<Credentials>(&input))
    return matches(p.expected, c->password.reveal()) && (!p.expected_user || c->user == *p.expected_user);
  if (const auto* n = std::get_if<NewPassword>(&input)) return matches(p.expected, n->password.reveal());
  if (const auto* cb = std::get_if<CallbackNumber>(&input)) return matches(p.expected, cb->number);
  if (const auto* eap = std::get_if<EapInput>(&input)) return matches(p.expected, eap->data);
  return true;
}

}  // namespace

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
    const auto terminal = std::ranges::find_if(steps, [](const Step& s) { return is_terminal(s.state); });
    const auto last = static_cast<std::size_t>(std::min(terminal, steps.end() - 1) - steps.begin());
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
        plugin::ReportGate::Pass pass(self->gate_);
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
  // The dial's own credentials are tried first, as RAS does with RASDIALPARAMS.
  if (step.state == State::retry_authentication && request_.credentials)
    return accepts(*step.pause, *request_.credentials);
  if (step.state == State::callback_set_by_caller && request_.callback_number)
    return accepts(*step.pause, CallbackNumber{*request_.callback_number});
  return false;
}

void Run::end_with(const Error& error, std::string reason) {
  if (emit(default_report(State::disconnected, std::move(reason), error))) finished();
}

void Run::run_step(std::size_t index) {
  const Step& step = scenario_.steps[index];
  if (fail_at_ == index) {
    end_with(scenario_.faults->fail_error, "random fault");
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
      end_with(step.pause->error);
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
      run.end_with(run.scenario_.faults->drop_error, "random fault: link dropped");
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
  if (accepts(p, input)) {
    post_step_locked(index + 1);
    return {};
  }
  // Wrong input is the dial's outcome, not an API error: RAS goes on and fails or asks again.
  if (++wrong_inputs_[index] >= p.max_attempts) {
    post_locked(p.retry.delay, [index](Run& run) { run.end_with(run.scenario_.steps[index].pause->error); });
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
    // A demo aid: a full disk must not break the dial.
    (void)registry_->publish(RegistryRecord{id_, Registry::own_pid(), request_.connection, request_.entry,
                                            report.state, report.native_code, report.native_name,
                                            scenario_.device_name});
  }
  send(std::move(report));
  return true;
}

void Run::send(NativeReport report) {
  log(report);
  reporter_->report(std::move(report));
}

void Run::log(const NativeReport& report) {
  if (!registry_) return;
  auto clip = [](const std::string& text) { return text.substr(0, max_log_field); };
  std::lock_guard lock(log_mutex_);
  if (log_ended_) return;
  if (logged_ >= max_log_events && report.state != State::disconnected) return;
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
  // Already stopped; a drop fault may still wait after a scenario ended by itself.
  (void)halt(false);
  // Unless the log ended already (with the dial's own `disconnected`, or a hang-up's).
  log(default_report(State::disconnected, "the dial ended in its own process"));
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
      *last != State::disconnected)
    send(default_report(State::disconnecting));  // core knows why
  // Core gives the final event its reason ("local hang-up", "timeout"); the log, read by
  // other processes, can only say who ended it.
  log(default_report(State::disconnected, std::string(own_end_reason)));
  // The native end (RASCS_Disconnected): core delivers `disconnected` with this native code
  // and the hang-up's reason once hangup() returned.
  if (!halted.task_running_elsewhere && last != State::disconnected)
    reporter_->report(default_report(State::disconnected));
  finished();
}

void Run::remote_hangup(std::string_view reason) {
  // Called from our own poll task or from hangup_live(), never under core's control lock.
  if (!halt(true).first) return;
  const auto last = last_state();
  if (last != State::disconnecting) send(default_report(State::disconnecting, std::string(reason)));
  send(default_report(State::disconnected, std::string(reason)));
  finished();
}

void Run::stop() {
  (void)halt(true);
  finished();
}

}  // namespace dialkit::mock::detail
