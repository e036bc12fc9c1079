// The template backend: a complete, minimal backend for a (simulated) platform. Copy this
// folder to start a backend for a new platform; DESIGN.md and plugins/README.md explain the
// rules it keeps. The parts:
//
// - Link: one dial on the platform. It walks the entry's script on the runtime's Scheduler
//   (never a thread or a sleep of its own, so the dial also runs in virtual time) and reports
//   each native phase through the Reporter core gave it, mapped by the tables in mapping.hpp.
//   A real backend replaces the script (example_link.hpp) with the platform's own events.
// - plugin::SharedSession (dialkit/shared_session.hpp): what core holds for the dial; it
//   forwards resume, hangup and status to the Link, and drops it when core is done.
// - TemplateBackend: entries, dial, live connections.
//
// Threading, as backend.hpp promises it to core: reports may come from any thread, and core
// may call resume() and hangup() from any thread, also from inside a subscriber's slot that
// runs within our own report() (inline delivery). So a Link never holds its mutex while it
// reports, and reports only through its ReportGate (dialkit/report_gate.hpp): hangup() closes
// the gate, which waits for a report in progress on another thread, never on its own.
#include "backend.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <dialkit/mapping.hpp>
#include <dialkit/options.hpp>
#include <dialkit/report_gate.hpp>
#include <dialkit/shared_session.hpp>
#include <dialkit/scheduler.hpp>

#include "example_link.hpp"
#include "mapping.hpp"

namespace dialkit_template {

namespace {

using namespace dialkit;

// The report for one step of the platform: state and native name from the phase table,
// and for a failed `down`, the error from the error table with its native code and name.
NativeReport report_for(const Step& step) {
  NativeReport report = plugin::native_report(phase_table, step.phase, State::opening_port);
  if (step.phase == LinkPhase::down && step.error != LinkError::none)
    report.error = plugin::native_error(error_table, step.error, "reported by the example link");
  return report;
}

class Link : public std::enable_shared_from_this<Link> {
 public:
  Link(std::shared_ptr<Scheduler> scheduler, std::shared_ptr<Reporter> reporter, Script script,
       Clock::duration step, bool have_credentials)
      : scheduler_(std::move(scheduler)),
        reporter_(std::move(reporter)),
        script_(std::move(script)),
        step_(step),
        have_credentials_(have_credentials) {}

  void start() {
    std::lock_guard lock(mutex_);
    schedule_locked();
  }

  Result<void> resume(const ResumeInput& input) {
    // Core has checked that the last state is paused and that the input is of the kind it
    // accepts (Credentials for retry_authentication); what is left is the platform's say.
    const auto* credentials = std::get_if<Credentials>(&input);
    if (credentials == nullptr || credentials->password.empty())
      return fail(make_error(Errc::invalid_argument, "the example link needs a password"));
    std::lock_guard lock(mutex_);
    if (closed_ || !paused_) return fail(make_error(Errc::invalid_state, "the link is not paused"));
    paused_ = false;
    schedule_locked();
    return {};
  }

  void hangup() {
    // The platform tears the link down; core reports the final `disconnected` itself.
    if (stop()) reporter_->report(report_for({LinkPhase::closing}));
  }

  // Stops the script without reporting; false if the link had already ended.
  bool stop() {
    bool was_open = false;
    {
      std::lock_guard lock(mutex_);
      was_open = !closed_;
      closed_ = true;
      if (task_) scheduler_->cancel(*task_);
      task_.reset();
    }
    // A step reporting on another thread finishes first, so nothing is reported after
    // hangup() returns: also the link's own last step (`down`), which closes the link before
    // it reports.
    gate_.close();
    return was_open;
  }

  // Core dropped the session (dialkit/shared_session.hpp), after hanging it up: this only makes
  // sure no task outlives it.
  void drop() { (void)stop(); }

  SessionStatus status() const {
    SessionStatus s;
    s.device_name = "example0";
    s.device_type = "modem";
    return s;
  }

 private:
  void schedule_locked() {
    std::weak_ptr<Link> weak = weak_from_this();
    task_ = scheduler_->post_after(next_ == 0 ? Clock::duration::zero() : step_, [weak] {
      if (auto link = weak.lock()) link->run_step();
    });
  }

  // One scheduler task: the platform's next phase.
  void run_step() {
    plugin::ReportGate::Pass pass(gate_);
    if (!pass) return;  // hung up
    NativeReport report;
    {
      std::lock_guard lock(mutex_);
      task_.reset();
      if (closed_ || next_ >= script_.steps.size()) return;
      const Step step = script_.steps[next_++];
      if (step.phase == LinkPhase::need_secret && have_credentials_) {
        // The platform took the dial's credentials: no pause.
        schedule_locked();
        return;
      }
      report = report_for(step);
      if (is_paused(report.state)) {
        paused_ = true;  // resume() schedules the next step
      } else if (report.state != State::disconnected && next_ < script_.steps.size()) {
        schedule_locked();
      }
      if (report.state == State::disconnected) closed_ = true;
    }
    reporter_->report(std::move(report));
  }

  mutable std::mutex mutex_;
  plugin::ReportGate gate_;
  std::shared_ptr<Scheduler> scheduler_;
  std::shared_ptr<Reporter> reporter_;
  Script script_;
  Clock::duration step_;
  bool have_credentials_;
  std::size_t next_ = 0;
  std::optional<Scheduler::TaskId> task_;
  bool paused_ = false;
  bool closed_ = false;
};

class TemplateBackend final : public Backend {
 public:
  TemplateBackend(std::shared_ptr<Scheduler> scheduler, Clock::duration step)
      : scheduler_(std::move(scheduler)), step_(step) {}

  Result<std::vector<Entry>> entries() override {
    std::vector<Entry> out;
    for (const auto& script : phone_book()) out.push_back({script.entry, "modem", script.description});
    return out;
  }

  Result<std::unique_ptr<Session>> dial(const DialRequest& request,
                                        std::shared_ptr<Reporter> reporter) override {
    for (auto& script : phone_book()) {
      if (script.entry != request.entry) continue;
      const bool have_credentials =
          request.credentials.has_value() && !request.credentials->password.empty();
      auto link = std::make_shared<Link>(scheduler_, std::move(reporter), std::move(script), step_,
                                         have_credentials);
      link->start();
      return std::unique_ptr<Session>(new plugin::SharedSession(std::move(link)));
    }
    // Fails before any event: core returns this error from Dialer::dial().
    return fail(make_error(Errc::unknown_entry, "no entry \"" + request.entry + "\" on the example link"));
  }

  // A real backend lists the platform's live connections here, also those this process did
  // not start (RasEnumConnections, NetworkManager's active connections). The simulated
  // platform has no system-wide list.
  Result<std::vector<LiveConnection>> live_connections() override {
    return std::vector<LiveConnection>{};
  }

 private:
  std::shared_ptr<Scheduler> scheduler_;
  Clock::duration step_;
};

}  // namespace

// What the backend can do (DESIGN.md section 7), declared without dialling. Core refuses every
// dial option not declared here before the backend sees it, so declare only what dial() really
// uses: the template takes credentials and can pause in retry_authentication; it has no phone
// number to override, no callback, no watch and no hang-up by id. It only simulates its
// platform, so like the mock it is fake: never picked as a machine's default backend (a
// backend for a real platform leaves `fake` false).
TemplateFactory::TemplateFactory()
    : Factory({.name = backend_name,
               .description = backend_description,
               .capabilities = dialkit::Capabilities{}
                                   .with(dialkit::DialOption::credentials)
                                   .with_pause(dialkit::State::retry_authentication),
               .fake = true}) {}

dialkit::Result<std::unique_ptr<dialkit::Backend>> TemplateFactory::create(
    const dialkit::BackendContext& context) {
  if (!context.scheduler)
    return dialkit::fail(dialkit::make_error(dialkit::Errc::invalid_argument, "no scheduler given"));
  // Backend options come from RuntimeOptions::backend_options["template"]; "step_ms" sets the
  // time between two phases of the simulated platform (dialkit/options.hpp reads it).
  auto step = dialkit::plugin::milliseconds_option(context.options, backend_name, "step_ms",
                                                   std::chrono::milliseconds(20));
  if (!step) return dialkit::fail(step.error());
  return std::unique_ptr<dialkit::Backend>(new TemplateBackend(context.scheduler, *step));
}

}  // namespace dialkit_template
