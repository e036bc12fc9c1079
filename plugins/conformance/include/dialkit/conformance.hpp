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
/// - a dial of an entry that does not exist fails cleanly with Errc::unknown_entry.
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
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <dialkit/backend.hpp>
#include <dialkit/error.hpp>
#include <dialkit/event.hpp>
#include <dialkit/plugin_loader.hpp>
#include <dialkit/runtime.hpp>
#include <dialkit/scheduler.hpp>
#include <dialkit/state.hpp>

/// The backend conformance suite (see conformance.hpp).
namespace dialkit::conformance {

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
      : options_(options), report_(report), name_(factory->name()) {
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
      while (ran < options_.virtual_task_limit) {
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
  void quiet(Recorder&) {
    if (clock_) {
      clock_->run_until_idle(options_.virtual_task_limit);
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
