/// @file
/// The backend conformance suite: the checks every dialkit backend must pass, built-in or
/// third-party (DESIGN.md sections 1-3 and 5). It drives a backend through a real
/// dialkit::Runtime, as an application would, and checks what the runtime delivers:
///
/// - the factory names and describes itself, and its backend lists entries;
/// - every dial keeps the life rule (running states, paused states each followed by running
///   ones, then `connected` or `disconnected`; after `connected` only `disconnecting`,
///   `subentry_*` or `disconnected`; nothing after `disconnected`), with gapless sequence
///   numbers, and the runtime counts no illegal transition and reports no diagnostic;
/// - every error carries its native code and native text;
/// - a hang-up in every state the backend reaches (and before its first event) ends in
///   `disconnected` with reason "local hang-up", no error, and nothing after it;
/// - a dial of an entry that does not exist fails cleanly with Errc::unknown_entry;
/// - the backend keeps its own capability declaration (DESIGN.md section 7): every dial
///   option it does not declare is refused by core with Errc::not_supported naming the option
///   and the backend, every one it declares is accepted, it pauses only in the paused states
///   it declares (and in retry_authentication where its Fixture names an entry that does),
///   its watch and hang-up by id work if declared and fail with not_supported if not, and a
///   connected dial shows among its live connections;
/// - a password never leaks: canary passwords given at dial and at resume appear in no event,
///   trace line, diagnostic, status, error text or (POSIX) anything written to stderr.
///
/// What a backend's entries do differs per platform: a Fixture (plain data) says which entry
/// connects, which pauses for a refused password and which password gets it past.
///
/// It is header-only and needs no test framework: run() returns a Report, which a Catch2 or
/// GoogleTest case checks with one assertion, and the `dialkit-conformance` tool prints.
///
///     auto report = dialkit::conformance::run(std::make_shared<MyFactory>());
///     REQUIRE(report.passed());  // report.summary() says what failed
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <dialkit/backend.hpp>
#include <dialkit/capabilities.hpp>
#include <dialkit/error.hpp>
#include <dialkit/event.hpp>
#include <dialkit/plugin_loader.hpp>
#include <dialkit/runtime.hpp>
#include <dialkit/scheduler.hpp>
#include <dialkit/state.hpp>
#include <dialkit/trace.hpp>

#if !defined(_WIN32)
#include <unistd.h>
#endif

/// The backend conformance suite (see conformance.hpp).
namespace dialkit::conformance {

/// What a backend's entries do, so that the suite can drive the scenarios its capability
/// checks need. Plain data: each backend's conformance test gives its own (an empty field
/// leaves the checks that need it out, with a note in the Report).
struct Fixture {
  /// An entry that reaches `connected` when dialled with Options::credentials (or none).
  std::string connects;
  /// An entry that pauses in retry_authentication because its password is refused.
  std::string pauses;
  /// Whether `pauses` refuses any password but `right_password` (pppd, RAS, the mock); if
  /// not, it pauses only when dialled without a password (the template).
  bool refuses_wrong_password = true;
  /// The password that gets `pauses` past its pause to `connected`; empty: any.
  std::string right_password;
  /// The user name the suite's own credentials carry.
  std::string user = "dialkit-conformance";
  /// Where a declared dial option is honoured only on some entries (the mock takes a callback
  /// number only for a scenario with a callback): the entry to try it on, by the option's name
  /// in dial_option_table ("callback_number"); by default `connects`, else the first entry.
  std::map<std::string, std::string> option_entries;
};

/// How run() drives a backend.
struct Options {
  /// Which clock the runtime gets.
  enum class Time : std::uint8_t {
    /// A VirtualScheduler and inline delivery: the whole suite runs on the calling thread
    /// without sleeping. Only for backends whose every delay goes through the runtime's
    /// Scheduler (the mock, the template).
    virtual_time,
    /// The real-time scheduler and the dispatcher thread, as an application has them.
    real_time,
  };
  /// The clock; virtual time when the backend supports it.
  Time time = Time::virtual_time;
  /// The entries to dial; empty: every entry the backend lists (at most `max_entries`).
  std::vector<std::string> entries;
  /// How many listed entries to dial at most when `entries` is empty.
  std::size_t max_entries = 32;
  /// Whether an empty entry list is a failure (a backend on a machine with no configured
  /// connection may list none; then only the unknown-entry check dials).
  bool require_entries = true;
  /// Settings handed to the backend (RuntimeOptions::backend_options for its name).
  std::map<std::string, std::string> backend_options;
  /// Credentials, phone number and callback number for every dial; the suite always
  /// handles paused states itself (it hangs up in them) and never sets a timeout.
  std::optional<Credentials> credentials;
  /// An entry name the backend must not know.
  std::string unknown_entry = "dialkit-conformance-no-such-entry";
  /// Whether to dial each entry again for every state it reached and hang up there.
  bool hang_up_in_every_state = true;
  /// Real time: how long one dial may take to reach `connected`, `disconnected`, a paused
  /// state or the state to hang up in.
  std::chrono::milliseconds real_time_limit{15000};
  /// Real time: how long to watch for (forbidden) events after a connection ended.
  std::chrono::milliseconds quiet_period{100};
  /// Virtual time: the most scheduler tasks one dial may run (a scenario that loops).
  std::size_t virtual_task_limit = 100000;
  /// Virtual time: how far the clock may move while the suite waits for one step of a dial
  /// (a backend that polls something for as long as a connection lives is never idle).
  std::chrono::milliseconds virtual_time_limit{60000};
  /// What the backend's entries do (for the capability and secret checks).
  Fixture fixture;
  /// Progress lines (one per dial); empty: silent.
  std::function<void(const std::string&)> log;
};

/// One failed check.
struct Failure {
  std::string check;    ///< Which check: "entries", "life rule", "hang-up", "native codes", ...
  std::string entry;    ///< The entry dialled, or empty.
  std::string message;  ///< What was wrong, with the event sequence where it helps.
};

/// What run() found.
struct Report {
  std::string backend;                 ///< The factory's name.
  std::size_t checks = 0;              ///< Checks made.
  std::size_t dials = 0;               ///< Dials made.
  std::size_t hangups = 0;             ///< Hang-ups made in a chosen state.
  std::vector<Failure> failures;       ///< Failed checks; empty when the backend conforms.
  std::vector<std::string> notes;      ///< Things not checked, and why.
  std::optional<Error> unavailable;    ///< Set when probe() failed: nothing was dialled.

  /// True when no check failed (also when the backend was unavailable: see skipped()).
  [[nodiscard]] bool passed() const noexcept { return failures.empty(); }
  /// True when the backend's probe failed, so the suite dialled nothing.
  [[nodiscard]] bool skipped() const noexcept { return unavailable.has_value(); }
  /// A text for people: the counts, then every failure and note on its own line.
  [[nodiscard]] std::string summary() const {
    std::string out = "conformance of backend \"" + backend + "\": " +
                      (skipped() ? "SKIPPED" : passed() ? "PASSED" : "FAILED") + " (" +
                      std::to_string(checks) + " checks, " + std::to_string(dials) + " dials, " +
                      std::to_string(hangups) + " hang-ups, " + std::to_string(failures.size()) +
                      " failures)\n";
    if (unavailable) out += "  unavailable: " + unavailable->message() + "\n";
    for (const auto& f : failures)
      out += "  FAIL [" + f.check + "]" + (f.entry.empty() ? "" : " " + f.entry) + ": " +
             f.message + "\n";
    for (const auto& n : notes) out += "  note: " + n + "\n";
    return out;
  }
};

namespace detail {

// What the process wrote to stderr while it lived (POSIX; elsewhere nothing is captured).
class StderrCapture {
 public:
  StderrCapture() {
#if !defined(_WIN32)
    std::fflush(stderr);
    file_ = std::tmpfile();
    if (file_ == nullptr) return;
    saved_ = ::dup(2);
    if (saved_ < 0 || ::dup2(::fileno(file_), 2) < 0) {
      if (saved_ >= 0) ::close(saved_);
      saved_ = -1;
    }
    capturing_ = saved_ >= 0;
#endif
  }
  ~StderrCapture() { (void)stop(); }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  [[nodiscard]] bool capturing() const { return capturing_; }
  // Restores stderr and returns what was written meanwhile.
  std::string stop() {
    std::string out;
#if !defined(_WIN32)
    if (saved_ >= 0) {
      std::fflush(stderr);
      (void)::dup2(saved_, 2);
      ::close(saved_);
      saved_ = -1;
    }
    if (file_ != nullptr) {
      std::rewind(file_);
      char buffer[4096];
      std::size_t n = 0;
      while ((n = std::fread(buffer, 1, sizeof buffer, file_)) > 0) out.append(buffer, n);
      std::fclose(file_);
      file_ = nullptr;
    }
#endif
    return out;
  }

 private:
  std::FILE* file_ = nullptr;
  int saved_ = -1;
  bool capturing_ = false;
};

inline std::string status_text(const Status& s) {
  std::string out = s.native_name + "|" + s.reason + "|" + s.device.native_id + "|" + s.device.device_name + "|" +
                    s.device.device_type + "|" + s.device.phone_number + "|" + s.device.interface;
  for (const auto& a : s.device.addresses) out += "|" + a;
  if (s.error) out += "|" + s.error->message();
  return out;
}

}  // namespace detail

/// Hears everything a runtime says while it lives (every event, as text and as a trace line;
/// every diagnostic), what the caller adds (status and error texts) and, on POSIX, what the
/// process writes to stderr meanwhile; then says where a secret appears. The suite's secret
/// check uses it, and a backend's own tests use it for the places only they can drive (a
/// platform's own password prompts and pauses).
class SecretWitness {
 public:
  /// Starts listening (and capturing stderr).
  explicit SecretWitness(Runtime& runtime) : heard_(std::make_shared<Heard>()) {
    events_ = runtime.on_event([heard = heard_](const Event& e) {
      std::lock_guard lock(heard->m);
      heard->recorder(e);
      heard->said += e.backend + "|" + e.entry + "|" + e.live_id + "|" + e.native_name + "|" + e.reason + "|" +
                     (e.error ? e.error->message() : std::string()) + "\n";
      if (e.state == State::disconnected) heard->ended = true;
      heard->changed.notify_all();
    });
    diagnostics_ = runtime.on_diagnostic([heard = heard_](const Diagnostic& d) {
      std::lock_guard lock(heard->m);
      heard->said += d.message + "|" + d.native_name + "\n";
    });
  }
  ~SecretWitness() {
    events_.disconnect();
    diagnostics_.disconnect();
  }
  SecretWitness(const SecretWitness&) = delete;
  SecretWitness& operator=(const SecretWitness&) = delete;

  /// A status to search too.
  void add(const Status& s) { texts_ += detail::status_text(s) + "\n"; }
  /// An error to search too (a failed dial(), resume(), ...).
  void add(const Error& e) { texts_ += e.message() + "|" + e.native_text + "\n"; }
  /// Any other text to search.
  void add(const std::string& text) { texts_ += text + "\n"; }
  /// Waits until a `disconnected` was heard (the runtime-wide slot may hear the end after a
  /// connection's own slot did); false when the limit passed.
  bool wait_for_end(std::chrono::milliseconds limit) {
    std::unique_lock lock(heard_->m);
    return heard_->changed.wait_for(lock, limit, [&] { return heard_->ended; });
  }
  /// Stops listening and capturing, and names every place `secret` appears in: "an event or
  /// diagnostic", "the trace", "a status or error text", "stderr". Empty: nowhere. Also when
  /// nothing was heard at all, which proves nothing: that is "nothing heard".
  std::vector<std::string> leaks(std::string_view secret) {
    events_.disconnect();
    diagnostics_.disconnect();
    if (!stopped_) {
      logged_ = capture_.stop();
      stopped_ = true;
    }
    std::string said, trace;
    {
      std::lock_guard lock(heard_->m);
      said = heard_->said;
      trace = heard_->trace.str();
    }
    std::vector<std::string> out;
    if (said.empty() || trace.empty()) out.emplace_back("nothing heard (no event reached the runtime-wide slot)");
    const std::pair<const char*, const std::string*> places[] = {
        {"an event or diagnostic", &said}, {"the trace", &trace}, {"a status or error text", &texts_},
        {"stderr", &logged_}};
    for (const auto& [where, text] : places)
      if (text->find(secret) != std::string::npos) out.emplace_back(where);
    return out;
  }
  /// Whether stderr was captured (POSIX).
  [[nodiscard]] bool searched_stderr() const { return capture_.capturing(); }

 private:
  // Owned by the slots too: a slot already running on a dispatcher thread when its
  // subscription goes finishes on its own.
  struct Heard {
    std::mutex m;
    std::condition_variable changed;
    std::ostringstream trace;
    TraceRecorder recorder{trace};
    std::string said;
    bool ended = false;
  };
  std::shared_ptr<Heard> heard_;
  detail::StderrCapture capture_;
  Subscription events_;
  Subscription diagnostics_;
  std::string texts_;
  std::string logged_;
  bool stopped_ = false;
};

/// Implementation details of the suite; not part of its interface.
namespace detail {

// Collects one connection's events, and hangs up from inside the slot when the state to
// hang up in arrives (DESIGN.md rule 6 allows it), so the hang-up happens exactly there.
struct Recorder {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Event> events;
  std::optional<State> hang_up_in;
  bool target_seen = false;
  bool hang_up_pending = false;  // the target came before dial() returned the Connection
  std::optional<Connection> connection;
  std::optional<Result<void>> slot_hangup;

  void on_event(const Event& event) {
    std::optional<Connection> to_hang_up;
    {
      std::lock_guard lock(mutex);
      events.push_back(event);
      if (hang_up_in && !target_seen && event.state == *hang_up_in) {
        target_seen = true;
        if (connection)
          to_hang_up = connection;
        else
          hang_up_pending = true;
      }
    }
    changed.notify_all();
    if (to_hang_up) {
      auto done = to_hang_up->hangup();
      std::lock_guard lock(mutex);
      slot_hangup = std::move(done);
    }
    changed.notify_all();
  }
  std::vector<Event> snapshot() {
    std::lock_guard lock(mutex);
    return events;
  }
};

inline std::string sequence_text(const std::vector<Event>& events) {
  std::string out;
  for (const auto& e : events) {
    if (!out.empty()) out += " -> ";
    out += std::string(state_name(e.state));
    if (e.error) out += "[" + std::string(e.error->name()) + "]";
  }
  return out.empty() ? "(no events)" : out;
}

// The life rule of DESIGN.md section 2, checked independently of core's own validation.
inline std::optional<std::string> life_rule_violation(const std::vector<Event>& events) {
  bool connected_seen = false;
  bool disconnecting_seen = false;
  std::optional<State> last;
  for (const auto& e : events) {
    const State next = e.state;
    const auto group = state_group(next);
    std::string step = (last ? std::string(state_name(*last)) : std::string("(start)")) + " -> " +
                       std::string(state_name(next));
    if (!last) {
      if (group != StateGroup::running && next != State::disconnected)
        return "the first state must be a running state or disconnected: " + step;
    } else if (*last == State::disconnected) {
      return "an event after disconnected: " + step;
    } else if (next != *last && next != State::disconnected) {
      if (connected_seen) {
        if (next != State::disconnecting && next != State::subentry_connected &&
            next != State::subentry_disconnected)
          return "after connected only disconnecting, subentry_* or disconnected may follow: " +
                 step;
      } else if (disconnecting_seen) {
        if (next != State::disconnecting && next != State::subentry_disconnected)
          return "after disconnecting only disconnecting or disconnected may follow: " + step;
      } else if (state_group(*last) == StateGroup::paused && group != StateGroup::running) {
        return "a paused state must be followed by a running state: " + step;
      }
    }
    if (next == State::connected) connected_seen = true;
    if (next == State::disconnecting) disconnecting_seen = true;
    last = next;
  }
  return std::nullopt;
}

inline bool settled(const std::vector<Event>& events) {
  if (events.empty()) return false;
  const State s = events.back().state;
  return s == State::connected || s == State::disconnected || is_paused(s);
}

// One runtime for the whole run: the backend is created once, as in an application.
class Harness {
 public:
  Harness(std::shared_ptr<BackendFactory> factory, const Options& options, Report& report)
      : options_(options), report_(report), name_(factory->name()), declared_(factory->capabilities()) {
    RuntimeOptions ro;
    ro.load_plugins = false;
    if (options.time == Options::Time::virtual_time) {
      clock_ = std::make_shared<VirtualScheduler>();
      ro.scheduler = clock_;
      ro.delivery = RuntimeOptions::Delivery::inline_delivery;
    }
    ro.backend_options[name_] = options.backend_options;
    runtime_.emplace(std::move(ro));
    diagnostics_ = runtime_->on_diagnostic([this](const Diagnostic& d) {
      // A slow slot is the suite's own (it hangs up from inside slots, which may block for as
      // long as the backend takes to release); it says nothing about the backend.
      if (d.kind == Diagnostic::Kind::slow_slot) return;
      std::lock_guard lock(diag_mutex_);
      diag_.push_back(d);
    });
    runtime_->add_backend(std::move(factory), "(conformance)");
  }
  ~Harness() {
    diagnostics_.disconnect();
    runtime_.reset();
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  void check(bool ok, std::string check, std::string entry, std::string message) {
    ++report_.checks;
    if (!ok) report_.failures.push_back({std::move(check), std::move(entry), std::move(message)});
  }
  void note(std::string text) { report_.notes.push_back(std::move(text)); }
  void log(const std::string& text) const {
    if (options_.log) options_.log(text);
  }

  std::optional<Dialer> dialer() {
    auto d = runtime_->dialer(name_);
    check(d.has_value(), "create", {},
          d ? std::string() : "the runtime could not create the backend: " + d.error().message());
    if (!d) return std::nullopt;
    return *d;
  }

  // Runs the clock (virtual) or waits (real) until `done` holds for the recorder's events,
  // the connection ended, or the limit passed.
  template <class Pred>
  void drive(Recorder& rec, Pred done) {
    if (clock_) {
      std::size_t ran = 0;
      const auto start = clock_->now();
      while (ran < options_.virtual_task_limit && clock_->now() - start <= options_.virtual_time_limit) {
        {
          std::lock_guard lock(rec.mutex);
          if (done(rec)) return;
        }
        if (clock_->run_until_idle(1) == 0) return;
        ++ran;
      }
      return;
    }
    std::unique_lock lock(rec.mutex);
    rec.changed.wait_for(lock, options_.real_time_limit, [&] { return done(rec); });
  }

  // After the end: nothing more may come, and core must have dropped nothing.
  void quiet(Recorder& rec) {
    if (clock_) {
      drive(rec, [](Recorder&) { return false; });
    } else {
      std::this_thread::sleep_for(options_.quiet_period);
    }
  }

  // Diagnostics about one connection since the last call.
  std::vector<Diagnostic> diagnostics_for(ConnectionId id) {
    std::lock_guard lock(diag_mutex_);
    std::vector<Diagnostic> out;
    for (const auto& d : diag_)
      if (d.connection == id) out.push_back(d);
    return out;
  }
  std::vector<Diagnostic> all_diagnostics() {
    std::lock_guard lock(diag_mutex_);
    return diag_;
  }
  std::uint64_t illegal_transitions() const { return runtime_->illegal_transitions(); }
  Runtime& runtime() { return *runtime_; }
  const Capabilities& declared() const { return declared_; }

  // The checks every delivered sequence must pass.
  void check_sequence(const std::vector<Event>& events, const std::string& entry,
                      const std::string& context) {
    const std::string seq = " (" + context + ": " + sequence_text(events) + ")";
    check(!events.empty(), "events", entry, "no event was delivered" + seq);
    if (events.empty()) return;
    bool numbering = true;
    bool previous = true;
    bool identity = true;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i];
      if (e.seq != i + 1) numbering = false;
      if (i == 0 ? e.previous.has_value() : e.previous != events[i - 1].state) previous = false;
      if (e.connection != events.front().connection || e.backend != name_ || e.entry != entry)
        identity = false;
    }
    check(numbering, "sequence numbers", entry, "sequence numbers are not 1, 2, 3, ..." + seq);
    check(previous, "previous state", entry, "Event::previous is not the state before" + seq);
    check(identity, "event identity", entry,
          "an event names another connection, backend or entry" + seq);
    const auto violation = life_rule_violation(events);
    check(!violation, "life rule", entry, (violation ? *violation : std::string()) + seq);
    for (const auto& e : events)
      if (is_paused(e.state) && !declared_.can_pause(e.state)) {
        check(false, "capabilities", entry,
              "paused in " + std::string(state_name(e.state)) +
                  ", which the backend does not declare (Capabilities::with_pause)" + seq);
        break;
      }
    for (const auto& e : events) {
      if (!e.error) continue;
      check(e.state == State::disconnected || e.state == State::disconnecting, "errors", entry,
            "an error on " + std::string(state_name(e.state)) +
                " (only disconnecting or disconnected carry one)" + seq);
      check(e.error->native_code.has_value() && !e.error->native_text.empty(), "native codes",
            entry,
            "the error " + e.error->message() + " lacks its native code or native text" + seq);
    }
    const auto& last = events.back();
    if (last.state == State::disconnected)
      check(last.error.has_value() || !last.reason.empty(), "end reason", entry,
            "a clean disconnected must say why in its reason" + seq);
    const auto diags = diagnostics_for(events.front().connection);
    std::string text;
    for (const auto& d : diags)
      text += std::string(diagnostic_kind_name(d.kind)) + ": " + d.message + " [native " +
              std::to_string(d.native_code) + " " + d.native_name + "]; ";
    check(diags.empty(), "diagnostics", entry, "core reported " + text + seq);
  }

  // The checks of an end the suite caused by hanging up: `disconnecting` at most, then one
  // `disconnected` with reason "local hang-up" and no error, and nothing after it.
  //
  // In real time, events core accepted before the hang-up may still be delivered after the
  // state the suite hung up in, so only virtual time checks what lies between.
  // And in real time a dial may end by itself before the hang-up takes effect: an end with
  // the error the entry's full dial ended with (`natural_end`) is then no failure.
  void check_hung_up(const std::vector<Event>& events, std::size_t hung_up_after,
                     const std::string& entry, const std::string& context,
                     std::optional<Errc> natural_end = std::nullopt) {
    if (!clock_ && !events.empty()) hung_up_after = events.size() - 1;
    const std::string seq = " (" + context + ": " + sequence_text(events) + ")";
    if (!clock_ && natural_end && !events.empty() && events.back().state == State::disconnected &&
        events.back().error && events.back().error->code == *natural_end) {
      note(entry + ": the dial ended by itself before the hang-up took effect" + seq);
      return;
    }
    bool ok = !events.empty() && events.back().state == State::disconnected &&
              events.back().reason == "local hang-up" && !events.back().error;
    check(ok, "hang-up", entry,
          "the last event must be disconnected with reason \"local hang-up\" and no error" + seq);
    std::size_t ends = 0;
    bool only_disconnecting = true;
    for (std::size_t i = hung_up_after; i < events.size(); ++i) {
      if (events[i].state == State::disconnected) ++ends;
      else if (events[i].state != State::disconnecting) only_disconnecting = false;
    }
    check(ends == 1 && only_disconnecting, "hang-up", entry,
          "after the hang-up only disconnecting and one disconnected may come" + seq);
  }

  std::optional<VirtualScheduler*> virtual_clock() const {
    if (clock_) return clock_.get();
    return std::nullopt;
  }
  const Options& options() const { return options_; }
  const std::string& name() const { return name_; }

 private:
  const Options& options_;
  Report& report_;
  std::string name_;
  Capabilities declared_;
  std::shared_ptr<VirtualScheduler> clock_;
  std::optional<Runtime> runtime_;
  Subscription diagnostics_;
  std::mutex diag_mutex_;
  std::vector<Diagnostic> diag_;
};

inline DialOptions dial_options(const Options& options) {
  DialOptions d;
  d.credentials = options.credentials;
  d.handle_paused_states = true;
  return d;
}

// Dials `entry`. With `hang_up_in`, hangs up (from the slot) when that state arrives;
// without, runs the dial until it settles and hangs up if it has not ended. Returns the
// delivered events, or nothing when the dial could not start.
inline std::optional<std::vector<Event>> dial_once(Harness& h, Dialer& dialer,
                                                   const std::string& entry,
                                                   std::optional<State> hang_up_in,
                                                   bool& hung_up_by_us, bool& target_reached,
                                                   std::size_t& hung_up_after) {
  auto rec = std::make_shared<Recorder>();
  rec->hang_up_in = hang_up_in;
  auto started = dialer.dial(entry, dial_options(h.options()),
                             [rec](const Event& e) { rec->on_event(e); });
  if (!started) {
    h.check(false, "dial", entry, "dial() failed: " + started.error().message());
    return std::nullopt;
  }
  Connection connection = *started;
  bool pending = false;
  {
    std::lock_guard lock(rec->mutex);
    rec->connection = connection;
    pending = rec->hang_up_pending;
  }
  hung_up_by_us = false;
  hung_up_after = 0;
  if (pending) {
    hung_up_after = rec->snapshot().size();
    auto done = connection.hangup();
    h.check(done.has_value(), "hang-up", entry,
            done ? std::string() : "hangup() failed: " + done.error().message());
    hung_up_by_us = true;
  }
  if (hang_up_in) {
    const State target = *hang_up_in;
    // Not "settled": the state to hang up in may come after `connected` (a subentry, a
    // peer's drop).
    h.drive(*rec, [](Recorder& r) {
      return r.slot_hangup || (!r.events.empty() && r.events.back().state == State::disconnected);
    });
    std::lock_guard lock(rec->mutex);
    target_reached = rec->target_seen;
    if (rec->slot_hangup) {
      hung_up_by_us = true;
      for (std::size_t i = 0; i < rec->events.size(); ++i)
        if (rec->events[i].state == target) {
          hung_up_after = i + 1;
          break;
        }
      h.check(rec->slot_hangup->has_value(), "hang-up", entry,
              rec->slot_hangup->has_value()
                  ? std::string()
                  : "hangup() from the slot failed: " + rec->slot_hangup->error().message());
    }
  } else if (h.virtual_clock()) {
    // Virtual time runs until nothing is scheduled: what follows `connected` is seen too.
    h.drive(*rec, [](Recorder& r) {
      return !r.events.empty() && r.events.back().state == State::disconnected;
    });
  } else {
    h.drive(*rec, [](Recorder& r) { return settled(r.events); });
  }
  // Not Connection::ended(): in real time the slot sees `disconnected` a moment before
  // ended() turns true.
  const auto so_far = rec->snapshot();
  if (!hung_up_by_us && (so_far.empty() || so_far.back().state != State::disconnected)) {
    hung_up_after = rec->snapshot().size();
    auto done = connection.hangup();
    h.check(done.has_value(), "hang-up", entry,
            done ? std::string() : "hangup() failed: " + done.error().message());
    hung_up_by_us = true;
  }
  if (!h.virtual_clock()) {
    // Real time: the final event may still be on its way to the slot.
    h.drive(*rec, [](Recorder& r) {
      return !r.events.empty() && r.events.back().state == State::disconnected;
    });
  }
  h.quiet(*rec);
  const std::size_t before_second = rec->snapshot().size();
  auto again = connection.hangup();
  h.quiet(*rec);
  {
    // The recorder is in the connection's slot: drop its handle, or the two keep each other.
    std::lock_guard lock(rec->mutex);
    rec->connection.reset();
  }
  auto events = rec->snapshot();
  h.check(again.has_value() && events.size() == before_second, "hang-up", entry,
          "a second hangup() after the end must succeed and deliver nothing");
  h.check(connection.ended(), "hang-up", entry, "the connection has not ended after hangup()");
  return events;
}

// One dial the capability and secret checks drive step by step.
struct Dialled {
  std::shared_ptr<Recorder> rec = std::make_shared<Recorder>();
  std::optional<Connection> connection;
  std::optional<Error> refused;  // dial() failed with this
};

inline Dialled start_dial(Dialer& dialer, const std::string& entry, const DialOptions& options) {
  Dialled d;
  auto rec = d.rec;
  auto started = dialer.dial(entry, options, [rec](const Event& e) { rec->on_event(e); });
  if (started)
    d.connection = *started;
  else
    d.refused = started.error();
  return d;
}

inline bool ended(const Recorder& r) {
  return !r.events.empty() && r.events.back().state == State::disconnected;
}

// Hangs up a dial the suite started (unless it ended), waits for its end and checks what it
// delivered; returns its events.
inline std::vector<Event> finish(Harness& h, Dialled& d, const std::string& entry, const std::string& context) {
  if (!d.connection) return {};
  const bool was_ended = [&] {
    std::lock_guard lock(d.rec->mutex);
    return ended(*d.rec);
  }();
  if (!was_ended) {
    auto done = d.connection->hangup();
    h.check(done.has_value(), "hang-up", entry,
            done ? std::string() : context + ": hangup() failed: " + done.error().message());
  }
  h.drive(*d.rec, [](Recorder& r) { return ended(r); });
  h.quiet(*d.rec);
  auto events = d.rec->snapshot();
  h.check_sequence(events, entry, context);
  return events;
}

inline bool any_error_is(const std::vector<Event>& events, Errc code) {
  for (const auto& e : events)
    if (e.error && e.error->code == code) return true;
  return false;
}

inline std::optional<State> last_state(Recorder& r) {
  std::lock_guard lock(r.mutex);
  if (r.events.empty()) return std::nullopt;
  return r.events.back().state;
}

// The suite's own options for a capability check: pauses handled, nothing else set.
inline DialOptions bare_options() {
  DialOptions d;
  d.handle_paused_states = true;
  return d;
}

// Sets the option `o` in `d`, if a DialOptions field expresses it.
inline bool set_option(DialOptions& d, DialOption o, const Fixture& fixture) {
  switch (o) {
    case DialOption::credentials:
      d.credentials = Credentials{fixture.user,
                                  Secret(fixture.right_password.empty() ? std::string("dialkit-conformance")
                                                                        : fixture.right_password),
                                  ""};
      return true;
    case DialOption::phone_number:
      d.phone_number = "5550100";
      return true;
    case DialOption::callback_number:
      d.callback_number = "5550101";
      return true;
    case DialOption::multilink:
    case DialOption::eap:
      return false;
  }
  return false;
}

// DESIGN.md section 7: the backend against its own declaration.
inline void check_capabilities(Harness& h, Dialer& dialer, const std::vector<std::string>& entries) {
  const Capabilities& declared = h.declared();
  const Fixture& fixture = h.options().fixture;
  const std::string any_entry = !fixture.connects.empty() ? fixture.connects
                                : !entries.empty()        ? entries.front()
                                                          : h.options().unknown_entry;

  // Dial options: the undeclared refused by core, naming option and backend; the declared
  // accepted (never not_supported, at dial() or later).
  for (const auto& info : dial_option_table) {
    DialOptions o = bare_options();
    if (!set_option(o, info.option, fixture)) {
      if (declared.honours(info.option))
        h.note("declared dial option " + std::string(info.name) +
               " not exercised: no DialOptions field sets it");
      continue;
    }
    const std::string name(info.name);
    const auto chosen = fixture.option_entries.find(name);
    const std::string& entry = chosen != fixture.option_entries.end() ? chosen->second : any_entry;
    h.log("capabilities: dial " + entry + " with " + name);
    auto d = start_dial(dialer, entry, o);
    if (!declared.honours(info.option)) {
      const bool refused = d.refused && d.refused->code == Errc::not_supported &&
                           d.refused->message().find(name) != std::string::npos &&
                           d.refused->message().find(h.name()) != std::string::npos;
      h.check(refused, "capabilities", entry,
              "the undeclared dial option " + name +
                  " must be refused with not_supported naming the option and the backend; got " +
                  (d.refused ? d.refused->message() : std::string("a dial that started")));
      (void)finish(h, d, entry, "undeclared " + name);
      continue;
    }
    if (d.refused) {
      h.check(d.refused->code != Errc::not_supported, "capabilities", entry,
              "the declared dial option " + name + " was refused: " + d.refused->message());
      continue;
    }
    h.drive(*d.rec, [](Recorder& r) { return settled(r.events); });
    const auto events = finish(h, d, entry, "declared " + name);
    h.check(!any_error_is(events, Errc::not_supported), "capabilities", entry,
            "the declared dial option " + name + " ended the dial with not_supported (" +
                sequence_text(events) + ")");
  }

  // Paused states: every dial checks that none comes undeclared (check_sequence); the one the
  // fixture names is produced where declared, and resumed.
  for (const auto& info : state_table) {
    if (info.group != StateGroup::paused || !declared.can_pause(info.state)) continue;
    if (info.state == State::retry_authentication && !fixture.pauses.empty()) continue;
    h.note("declared pause " + std::string(info.name) +
           " not exercised: the fixture names no entry that produces it");
  }
  if (!fixture.pauses.empty()) {
    h.log("capabilities: pause in " + fixture.pauses);
    DialOptions o = bare_options();
    if (fixture.refuses_wrong_password)
      o.credentials = Credentials{fixture.user, Secret("dialkit-conformance-wrong"), ""};
    auto d = start_dial(dialer, fixture.pauses, o);
    if (d.refused) {
      h.check(false, "capabilities", fixture.pauses, "dial() failed: " + d.refused->message());
    } else {
      h.drive(*d.rec, [](Recorder& r) { return settled(r.events); });
      const bool paused = last_state(*d.rec) == State::retry_authentication;
      if (declared.can_pause(State::retry_authentication)) {
        h.check(paused, "capabilities", fixture.pauses,
                "the entry the fixture names did not pause in retry_authentication (" +
                    sequence_text(d.rec->snapshot()) + ")");
        if (paused) {
          const std::string right =
              fixture.right_password.empty() ? std::string("dialkit-conformance") : fixture.right_password;
          // Counted first: what the resume causes may all arrive before resume() returns.
          const std::size_t before = d.rec->snapshot().size();
          auto resumed = d.connection->resume(Credentials{fixture.user, Secret(right), ""});
          h.check(resumed.has_value(), "capabilities", fixture.pauses,
                  resumed ? std::string() : "resume() in retry_authentication failed: " + resumed.error().message());
          h.drive(*d.rec, [before](Recorder& r) { return r.events.size() > before && settled(r.events); });
          h.check(last_state(*d.rec) == State::connected, "capabilities", fixture.pauses,
                  "resumed with the right password, the dial did not connect (" +
                      sequence_text(d.rec->snapshot()) + ")");
        }
      }
      (void)finish(h, d, fixture.pauses, "pause in retry_authentication");
    }
  }

  // Watch: works if declared, not_supported if not.
  {
    h.log("capabilities: watch");
    auto watch = dialer.watch([](const Event&) {});
    if (declared.watch == WatchKind::none) {
      h.check(!watch && watch.error().code == Errc::not_supported, "capabilities", {},
              "the backend declares no watch, but watch() " +
                  (watch ? std::string("succeeded") : "failed with " + watch.error().message()) +
                  " instead of failing with not_supported");
    } else {
      h.check(watch.has_value(), "capabilities", {},
              "the backend declares a watch (" + std::string(watch_kind_name(declared.watch)) +
                  "), but watch() failed: " + (watch ? std::string() : watch.error().message()));
      if (watch) watch->stop();
    }
  }

  // Hang-up by id: not_supported if undeclared; an unknown id is another error if declared.
  {
    auto unknown = dialer.hangup("dialkit-conformance-no-such-id");
    if (!declared.hangup_by_id) {
      h.check(!unknown && unknown.error().code == Errc::not_supported, "capabilities", {},
              "the backend does not declare hang-up by id, but hangup(id) " +
                  (unknown ? std::string("succeeded") : "failed with " + unknown.error().message()) +
                  " instead of failing with not_supported");
    } else {
      h.check(!unknown && unknown.error().code != Errc::not_supported, "capabilities", {},
              "the backend declares hang-up by id, but hangup() of an unknown id " +
                  (unknown ? std::string("succeeded") : "failed with " + unknown.error().message()));
    }
  }

  // A backend that sees the platform's connections (it declares a watch or hang-up by id)
  // lists a connected dial among them, and hang-up by id (if declared) ends it.
  if (!declared.hangup_by_id && declared.watch == WatchKind::none) {
    h.note("live connections not checked: the backend declares neither a watch nor hang-up by id");
    return;
  }
  if (fixture.connects.empty()) {
    h.note("live connections and hang-up by id of a dial not checked: the fixture names no entry that connects");
    return;
  }
  h.log("capabilities: live connection of " + fixture.connects);
  DialOptions o = dial_options(h.options());
  auto d = start_dial(dialer, fixture.connects, o);
  if (d.refused) {
    h.check(false, "dial", fixture.connects, "dial() failed: " + d.refused->message());
    return;
  }
  h.drive(*d.rec, [](Recorder& r) { return settled(r.events); });
  if (last_state(*d.rec) != State::connected) {
    h.check(false, "capabilities", fixture.connects,
            "the entry the fixture says connects did not (" + sequence_text(d.rec->snapshot()) + ")");
    (void)finish(h, d, fixture.connects, "connects");
    return;
  }
  std::string live_id;
  auto live = dialer.connections();
  if (live)
    for (const auto& c : *live)
      if (c.entry == fixture.connects) live_id = c.id;
  h.check(!live_id.empty(), "capabilities", fixture.connects,
          "connected, but connections() does not list it" +
              (live ? std::string() : ": " + live.error().message()));
  if (declared.hangup_by_id && !live_id.empty()) {
    auto by_id = dialer.hangup(live_id);
    h.check(by_id.has_value(), "capabilities", fixture.connects,
            by_id ? std::string() : "hangup(\"" + live_id + "\") failed: " + by_id.error().message());
    if (by_id) {
      h.drive(*d.rec, [](Recorder& r) { return ended(r); });
      std::lock_guard lock(d.rec->mutex);
      h.check(ended(*d.rec), "capabilities", fixture.connects,
              "hangup(\"" + live_id + "\") did not end the dial (" + sequence_text(d.rec->events) + ")");
    }
  }
  (void)finish(h, d, fixture.connects, "live connection");
}

// Secrets never in events, traces, diagnostics, status, error texts or logs: canary passwords
// given at dial and at resume, searched for in everything the runtime and the backend said.
inline void check_secrets(Harness& h, Dialer& dialer, const std::vector<std::string>& entries) {
  const Fixture& fixture = h.options().fixture;
  if (!h.declared().honours(DialOption::credentials)) {
    h.note("secrets not checked: the backend does not take credentials");
    return;
  }
  const std::string entry = !fixture.pauses.empty()   ? fixture.pauses
                            : !fixture.connects.empty() ? fixture.connects
                            : !entries.empty()          ? entries.front()
                                                        : std::string();
  if (entry.empty()) {
    h.note("secrets not checked: no entry to dial");
    return;
  }
  const std::string first = "CANARY-dk-first-5d3a91";
  const std::string second = "CANARY-dk-second-7c20e4";
  SecretWitness witness(h.runtime());
  h.log("secrets: dial " + entry);
  DialOptions o = bare_options();
  o.credentials = Credentials{fixture.user, Secret(first), ""};
  auto d = start_dial(dialer, entry, o);
  if (d.refused) {
    witness.add(*d.refused);
  } else {
    h.drive(*d.rec, [](Recorder& r) { return settled(r.events); });
    witness.add(d.connection->status());
    bool refused_at_dial = false;
    if (last_state(*d.rec) == State::retry_authentication) {
      refused_at_dial = true;
      const std::size_t before = d.rec->snapshot().size();
      auto resumed = d.connection->resume(Credentials{fixture.user, Secret(second), ""});
      if (!resumed) witness.add(resumed.error());
      h.drive(*d.rec, [before](Recorder& r) { return r.events.size() > before && settled(r.events); });
      witness.add(d.connection->status());
    }
    if (!fixture.pauses.empty() && fixture.refuses_wrong_password)
      h.check(refused_at_dial, "secrets", entry,
              "the canary password was not refused (no retry_authentication), so it may never have "
              "reached the platform (" +
                  sequence_text(d.rec->snapshot()) + ")");
    (void)finish(h, d, entry, "secrets");
    h.check(witness.wait_for_end(h.options().real_time_limit), "secrets", entry,
            "the runtime-wide slot did not hear the end");
    witness.add(d.connection->status());
    // What a resume after the end says.
    auto late = d.connection->resume(Credentials{fixture.user, Secret(first), ""});
    h.check(!late.has_value(), "secrets", entry, "resume() after the end succeeded");
    if (!late) witness.add(late.error());
  }
  const std::pair<const std::string*, const char*> canaries[] = {{&first, "dial()"}, {&second, "resume()"}};
  for (const auto& [canary, given_to] : canaries)
    for (const auto& where : witness.leaks(*canary))
      h.check(false, "secrets", entry, "a password given to " + std::string(given_to) + " appears in " + where);
  h.log("secrets: checked");
  if (!witness.searched_stderr()) h.note("stderr not searched for secrets on this platform");
}

}  // namespace detail

/// Runs the suite against a backend factory (in-process, or one a plugin made: see
/// run_plugin_file()). Never throws for a misbehaving backend; every problem is a Failure.
inline Report run(std::shared_ptr<BackendFactory> factory, const Options& options = {}) {
  Report report;
  report.backend = factory->name();
  {
    detail::Harness h(factory, options, report);
    h.check(!report.backend.empty(), "factory", {}, "name() is empty");
    h.check(!factory->description().empty(), "factory", {}, "description() is empty");
    if (auto usable = factory->probe(); !usable) {
      report.unavailable = usable.error();
      h.note("probe() failed, nothing dialled: " + usable.error().message());
      return report;
    }
    auto dialer = h.dialer();
    if (!dialer) return report;

    // Entries.
    std::vector<std::string> entries = options.entries;
    auto listed = dialer->entries();
    h.check(listed.has_value(), "entries", {},
            listed ? std::string() : "entries() failed: " + listed.error().message());
    if (listed) {
      std::set<std::string> names;
      bool named = true;
      for (const auto& e : *listed) {
        if (e.name.empty()) named = false;
        names.insert(e.name);
      }
      h.check(named, "entries", {}, "an entry has an empty name");
      h.check(names.size() == listed->size(), "entries", {}, "two entries share a name");
      h.check(names.count(options.unknown_entry) == 0, "entries", {},
              "the backend lists the entry the suite uses as unknown: " + options.unknown_entry);
      if (options.require_entries)
        h.check(!listed->empty(), "entries", {}, "the backend lists no entry");
      if (entries.empty()) {
        for (const auto& e : *listed) {
          if (entries.size() == options.max_entries) {
            h.note("only the first " + std::to_string(options.max_entries) +
                   " listed entries were dialled");
            break;
          }
          entries.push_back(e.name);
        }
      }
    }
    if (auto live = dialer->connections(); !live)
      h.note("connections() failed: " + live.error().message());

    // Unknown entry: dial() fails with unknown_entry, or the dial ends with that error.
    {
      auto rec = std::make_shared<detail::Recorder>();
      auto started = dialer->dial(options.unknown_entry, detail::dial_options(options),
                                  [rec](const Event& e) { rec->on_event(e); });
      ++report.dials;
      if (!started) {
        h.check(started.error().code == Errc::unknown_entry, "unknown entry", options.unknown_entry,
                "dial() failed with " + started.error().message() + " instead of unknown_entry");
      } else {
        h.drive(*rec, [](detail::Recorder& r) { return detail::settled(r.events); });
        auto events = rec->snapshot();
        const bool clean = !events.empty() && events.back().state == State::disconnected &&
                           events.back().error && events.back().error->code == Errc::unknown_entry;
        h.check(clean, "unknown entry", options.unknown_entry,
                "the dial of an unknown entry must fail with unknown_entry (" +
                    detail::sequence_text(events) + ")");
        if (!started->ended()) (void)started->hangup();
        h.quiet(*rec);
        h.check_sequence(rec->snapshot(), options.unknown_entry, "unknown entry");
      }
    }

    // The backend against its own capability declaration, and the secret canaries.
    detail::check_capabilities(h, *dialer, entries);
    detail::check_secrets(h, *dialer, entries);

    // Each entry: a full dial, then a hang-up in every state it reached.
    for (const auto& entry : entries) {
      bool hung_up = false;
      bool reached = false;
      std::size_t after = 0;
      auto events = detail::dial_once(h, *dialer, entry, std::nullopt, hung_up, reached, after);
      ++report.dials;
      if (!events) continue;
      h.log("dial " + entry + ": " + detail::sequence_text(*events));
      h.check_sequence(*events, entry, "full dial");
      std::optional<Errc> natural_end;
      if (hung_up) {
        ++report.hangups;
        h.check_hung_up(*events, after, entry, "hang-up after the dial settled");
      } else if (!events->empty() && events->back().error) {
        natural_end = events->back().error->code;
      }
      if (entry == entries.front()) {
        // Hang-up before the backend reported anything (one entry shows it).
        auto rec = std::make_shared<detail::Recorder>();
        auto started = dialer->dial(entry, detail::dial_options(options),
                                    [rec](const Event& e) { rec->on_event(e); });
        ++report.dials;
        if (started) {
          const std::size_t before = rec->snapshot().size();
          auto done = started->hangup();
          ++report.hangups;
          h.check(done.has_value(), "hang-up", entry,
                  done ? std::string() : "hangup() failed: " + done.error().message());
          h.drive(*rec, [](detail::Recorder& r) {
            return !r.events.empty() && r.events.back().state == State::disconnected;
          });
          h.quiet(*rec);
          auto quick = rec->snapshot();
          h.check_sequence(quick, entry, "hang-up right after dial()");
          h.check_hung_up(quick, before, entry, "hang-up right after dial()", natural_end);
        } else {
          h.check(false, "dial", entry, "dial() failed: " + started.error().message());
        }
      }
      if (!options.hang_up_in_every_state) continue;
      // The states the backend reached by itself: not those the suite's hang-up caused.
      std::vector<State> states;
      const std::size_t own = hung_up ? after : events->size();
      for (std::size_t i = 0; i < own; ++i) {
        const Event& e = (*events)[i];
        if (e.state == State::disconnected) break;
        bool seen = false;
        for (State s : states) seen = seen || s == e.state;
        if (!seen) states.push_back(e.state);
      }
      for (State target : states) {
        const std::string context = "hang-up in " + std::string(state_name(target));
        auto again = detail::dial_once(h, *dialer, entry, target, hung_up, reached, after);
        ++report.dials;
        if (!again) continue;
        h.log("dial " + entry + ", " + context + ": " + detail::sequence_text(*again));
        if (!reached) {
          h.note(entry + ": the dial did not reach " + std::string(state_name(target)) +
                 " again; no hang-up there (" + detail::sequence_text(*again) + ")");
          h.check_sequence(*again, entry, context);
          continue;
        }
        ++report.hangups;
        h.check_sequence(*again, entry, context);
        h.check_hung_up(*again, after, entry, context, natural_end);
      }
    }

    h.check(h.illegal_transitions() == 0, "illegal transitions", {},
            "the runtime counted " + std::to_string(h.illegal_transitions()) +
                " illegal transitions");
    const auto diags = h.all_diagnostics();
    h.check(diags.empty(), "diagnostics", {},
            std::to_string(diags.size()) + " diagnostics in all (see the failures above)");
  }
  return report;
}

/// Runs the suite against a factory the caller owns (it must outlive the call).
inline Report run(BackendFactory& factory, const Options& options = {}) {
  return run(std::shared_ptr<BackendFactory>(&factory, [](BackendFactory*) {}), options);
}

/// Loads a plugin file with the real loader (ABI version, build key and permission checks)
/// and runs the suite against its backend. A plugin that does not load is one failure.
inline Report run_plugin_file(const std::filesystem::path& file, const Options& options = {},
                              bool allow_insecure = false) {
  auto loaded = load_plugin(file, allow_insecure);
  if (!loaded) {
    Report report;
    report.backend = file.filename().string();
    report.checks = 1;
    report.failures.push_back({"load", {}, loaded.error().message()});
    return report;
  }
  return run(loaded->factory, options);
}

}  // namespace dialkit::conformance
