// The runtime: backends, the event bus (Boost.Signals2) with one strand per connection, and
// the dial / resume / hang-up / redial / timeout logic of DESIGN.md sections 2 and 3.
//
// How an event travels: a backend thread calls Reporter::report(); the connection validates
// and numbers it under its state lock and appends it to its queue; the first item in an empty
// queue posts one drain task to the executor; the drain delivers items one at a time until
// the queue is empty. So a connection's events are delivered in order, once, and never
// concurrently, on whatever executor the runtime has, and native threads never run slots
// (unless the caller chose inline delivery).
#include <dialkit/runtime.hpp>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <deque>
#include <exception>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <variant>

#include <boost/signals2/signal.hpp>

#include "capabilities_internal.hpp"
#include "runtime_internal.hpp"

namespace dialkit {
namespace detail {
namespace {

// Catches what a slot throws, reports it, and goes on with the next slot (rule 5).
template <class Report>
struct IsolatingCombiner {
  using result_type = void;
  Report report;
  template <class It>
  void operator()(It first, It last) const {
    for (; first != last; ++first) {
      try {
        *first;
      } catch (const std::exception& e) {
        if (report) report(std::string("a subscriber threw: ") + e.what());
      } catch (...) {
        if (report) report("a subscriber threw a non-standard exception");
      }
    }
  }
};

using SlotErrorReport = std::function<void(std::string)>;
using EventSignal = boost::signals2::signal<void(const Event&), IsolatingCombiner<SlotErrorReport>>;
using DiagnosticSignal =
    boost::signals2::signal<void(const Diagnostic&), IsolatingCombiner<SlotErrorReport>>;

// How deep this thread is inside deliveries (slots). A hang-up called from a slot must not
// wait for another thread's hang-up: that thread may be waiting for this one.
thread_local int delivering_depth = 0;
struct DeliveringScope {
  DeliveringScope() { ++delivering_depth; }
  ~DeliveringScope() { --delivering_depth; }
  DeliveringScope(const DeliveringScope&) = delete;
  DeliveringScope& operator=(const DeliveringScope&) = delete;
};

Error runtime_gone() {
  return make_error(Errc::backend_unavailable, "the runtime has been shut down");
}

// The error a pause turns into when the caller does not handle paused states.
Errc error_for_unhandled_pause(State s) {
  switch (s) {
    case State::retry_authentication: return Errc::authentication_failed;
    case State::password_expired: return Errc::password_expired;
    case State::callback_set_by_caller: return Errc::callback_required;
    default: return Errc::user_input_required;
  }
}

// The runtime's own dispatcher: one thread normally. A watchdog notices a task (a slot) that
// has run longer than `slow_after`; it reports it and, when no thread is free, starts another
// (up to `max_threads`), so the other connections' events wait at most about `slow_after`
// (plus a quarter of it, the watchdog's tick) for one blocked slot. Per-connection order is
// kept by the connection strands, whatever the number of threads. Extra threads retire after
// a while without work.
class Dispatcher {
 public:
  using Task = std::function<void()>;
  // What the watchdog tells: the connection of the slow task, how long it has run, the
  // threads now and whether one could be added.
  using SlowReport = std::function<void(ConnectionId, std::chrono::milliseconds, unsigned threads,
                                        bool at_limit)>;

  Dispatcher(std::chrono::milliseconds slow_after, unsigned max_threads, SlowReport on_slow)
      : slow_after_(std::max(slow_after, std::chrono::milliseconds(1))),
        max_threads_(std::max(max_threads, 1U)),
        on_slow_(std::move(on_slow)) {
    std::lock_guard lock(mutex_);
    spawn_locked();
    watchdog_ = std::thread([this] { watch(); });
  }
  ~Dispatcher() { stop(); }
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // After stop() a task is dropped: nothing is delivered once the runtime is torn down.
  void post(ConnectionId connection, Task task) {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    tasks_.push_back({connection, std::move(task)});
    wake_.notify_one();
  }
  // Runs what is queued, then stops; tasks posted meanwhile still run.
  void stop() {
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
  // Threads delivering now (for tests and diagnostics).
  unsigned threads() const {
    std::lock_guard lock(mutex_);
    return live_threads_;
  }

 private:
  struct Queued {
    ConnectionId connection;
    Task run;
  };
  struct Worker {
    std::thread thread;
    bool busy = false;
    bool reported = false;  // its current task was reported slow
    bool done = false;      // left its loop; the watchdog joins it
    ConnectionId connection = 0;
    std::chrono::steady_clock::time_point started;
  };

  void spawn_locked() {
    workers_.emplace_back();
    Worker* w = &workers_.back();
    ++live_threads_;
    w->thread = std::thread([this, w] { work(*w); });
  }

  void work(Worker& self) {
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

  unsigned idle_others_locked(const Worker& self) const {
    unsigned n = 0;
    for (const auto& w : workers_)
      if (&w != &self && !w.busy && !w.done) ++n;
    return n;
  }

  void watch() {
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

  const std::chrono::milliseconds slow_after_;
  const unsigned max_threads_;
  const SlowReport on_slow_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;        // workers wait for tasks
  std::condition_variable watch_wake_;  // the watchdog waits for a busy worker
  std::deque<Queued> tasks_;
  std::list<Worker> workers_;
  unsigned live_threads_ = 0;
  bool watchdog_sleeping_ = true;  // waits without a timeout until a task starts
  bool activity_ = false;          // a task started since the last tick
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread watchdog_;
};

// The scheduler a backend gets: the runtime's, with each task guarded (run_guarded). A task
// carries one shared pointer to the guard, not copies of it: the mock posts a task per step.
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

}  // namespace

class ConnectionCore;

class RuntimeCore : public std::enable_shared_from_this<RuntimeCore> {
 public:
  explicit RuntimeCore(RuntimeOptions opts);
  void start();
  void shutdown();

  Result<std::shared_ptr<Backend>> backend(std::string_view name);
  // The factory of a backend by name; none if there is no such backend.
  std::shared_ptr<BackendFactory> factory(const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto it = backends_.find(name);
    return it == backends_.end() ? nullptr : it->second.factory;
  }
  Result<Connection> dial(const std::string& backend_name, std::string_view entry,
                          DialOptions options, EventSlot handler);
  // Runs a delivery task for `connection` (0: none) on the runtime's executor.
  void post(ConnectionId connection, std::function<void()> task);
  void report_slow_slot(ConnectionId connection, std::chrono::milliseconds ran, unsigned threads, bool at_limit);
  void emit_diagnostic_now(const Diagnostic& d);
  void forget(ConnectionId id) {
    std::shared_ptr<ConnectionCore> last_ref;  // destroyed outside the lock
    std::lock_guard lock(mutex_);
    if (auto it = live_.find(id); it != live_.end()) {
      last_ref = std::move(it->second);
      live_.erase(it);
    }
  }
  void post_diagnostic(Diagnostic d);
  void deliver_to_all(const Event& e) {
    if (all_event_slots_.load(std::memory_order_acquire) > 0) all_events_(e);
  }
  Subscription subscribe_all(EventSlot slot);
  Subscription subscribe_diagnostics(DiagnosticSlot slot);
  // What a backend of this name is probed and created with.
  // The backend's scheduler is the runtime's, guarded: a task that throws fails the backend
  // (backend_failed) instead of ending the process.
  BackendContext context_for(const std::string& name) {
    BackendContext ctx;
    ctx.failed = [weak = weak_from_this(), name](const std::string& what) {
      if (auto rt = weak.lock()) rt->backend_failed(name, what);
    };
    ctx.scheduler = std::make_shared<GuardedScheduler>(scheduler_, ctx.failed, name);
    if (auto o = options_.backend_options.find(name); o != options_.backend_options.end())
      ctx.options = o->second;
    return ctx;
  }
  std::shared_ptr<ConnectionCore> make_connection(std::string backend_name, std::string entry,
                                                  std::shared_ptr<Backend> backend, bool adopted);
  // BackendContext::failed: ends the backend's connections and refuses further dials.
  void backend_failed(const std::string& name, const std::string& what);

  RuntimeOptions options_;
  std::shared_ptr<Scheduler> scheduler_;
  std::shared_ptr<RealTimeScheduler> owned_scheduler_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::atomic<bool> shut_down_{false};
  std::atomic<std::uint64_t> illegal_{0};
  std::atomic<ConnectionId> next_id_{1};

  struct BackendSlot {
    std::shared_ptr<BackendFactory> factory;
    std::string origin;
    std::shared_ptr<Backend> live;
    std::optional<std::string> failed;  // why it cannot go on (BackendContext::failed)
  };
  mutable std::mutex mutex_;
  std::vector<std::string> order_;  // backend names in registration order
  std::unordered_map<std::string, BackendSlot> backends_;
  std::vector<PluginRefusal> refused_;
  // Connections that have not delivered `disconnected` yet: the runtime keeps them alive, so
  // a dial whose handle the caller dropped still runs to its end (and is hung up at
  // teardown). Each removes itself once its end is delivered.
  std::unordered_map<ConnectionId, std::shared_ptr<ConnectionCore>> live_;
  std::vector<std::weak_ptr<WatchCore>> watches_;

  EventSignal all_events_;
  std::atomic<int> all_event_slots_{0};
  DiagnosticSignal diagnostics_;
};

// One connection: its validator state, its strand, its signal and its session.
class ConnectionCore : public std::enable_shared_from_this<ConnectionCore> {
 public:
  ConnectionCore(std::shared_ptr<RuntimeCore> rt, ConnectionId id, std::string backend_name,
                 std::string entry, std::shared_ptr<Backend> backend, bool adopted)
      : runtime_(std::move(rt)),
        id_(id),
        backend_name_(std::move(backend_name)),
        entry_(std::move(entry)),
        adopted_(adopted),
        backend_(std::move(backend)),
        signal_(IsolatingCombiner<SlotErrorReport>{[this](std::string what) {
          slot_threw(std::move(what));
        }}) {
    life_.adopted = adopted;
  }

  // --- reporting side (any backend thread) ---
  void on_report(std::uint32_t attempt, NativeReport r);
  // --- control side (any user thread) ---
  Result<void> start_attempt(std::uint32_t attempt);
  Result<void> resume(ResumeInput input);
  Result<void> hangup();
  // An end core decides (unhandled pause, failed redial, failed backend). A watched
  // connection's native side is left alone: watching never ends what it watches.
  void end_by_core(Error error, std::string reason = {});
  // Arms the dial timeout; called before the first attempt starts, so that no report can
  // come before it. The first `connected` disarms it, on whatever thread it is reported.
  void arm_timeout(std::chrono::milliseconds limit);
  Status status() const;
  Subscription subscribe(EventSlot slot, bool current_state_first);
  void connect_initial(EventSlot slot);
  bool ended() const {
    std::lock_guard lock(state_mutex_);
    return delivered_end_;
  }
  bool wait_until_ended(std::chrono::milliseconds limit) const {
    std::unique_lock lock(state_mutex_);
    return changed_cv_.wait_for(lock, limit, [this] { return delivered_end_; });
  }
  // dial() failed: nothing of this connection may happen any more (its timeout included).
  void abandon() {
    std::lock_guard lock(state_mutex_);
    cancel_tasks_locked();
    accepted_end_ = true;
  }
  void release_plugin_objects();
  void drop_subscriptions() { signal_.disconnect_all_slots(); }
  bool accepted_end() const {
    std::lock_guard lock(state_mutex_);
    return accepted_end_;
  }

  const std::shared_ptr<RuntimeCore> runtime_;
  const ConnectionId id_;
  const std::string backend_name_;
  const std::string entry_;
  // Observed through a watch, not started by this runtime: released at teardown, never hung up.
  const bool adopted_;
  DialOptions options_;
  std::string live_id_;  // for adopted connections: the backend's id

 private:
  // A subscription with "current state first": its slot ignores events until the strand
  // reaches this item, which hands it the latest delivered event and switches it on. The
  // subscriber's own disconnect() cancels it; the end of the connection does not (the end
  // drops every slot, and a subscriber that came after the end was reported still gets it).
  enum class Turn : std::uint8_t { waiting, active, cancelled };
  struct Activate {
    std::shared_ptr<EventSlot> slot;
    std::shared_ptr<std::atomic<Turn>> turn;
    boost::signals2::connection link;
  };
  using Item = std::variant<Event, Diagnostic, Activate>;

  class ReporterImpl;

  void enqueue_locked(Item item, bool& post_drain);
  void post_drain();
  void drain();
  void deliver(Item& item);
  void slot_threw(std::string what);
  // Accepts a report that passed validation (state lock held); returns whether to post.
  void accept_locked(const NativeReport& r, bool& post_drain);
  void diagnose_locked(Diagnostic::Kind kind, const NativeReport& r, std::string message,
                       bool& post_drain);
  // Rule 4: an illegal transition is counted and diagnosed, never delivered.
  void reject_locked(const NativeReport& r, bool& post_drain) {
    ++runtime_->illegal_;
    diagnose_locked(Diagnostic::Kind::illegal_transition, r, "illegal transition; not delivered",
                    post_drain);
  }
  void cancel_tasks_locked();
  // Decides an end core reports (state lock held); false if one is decided already.
  bool decide_end_locked(std::optional<Error> error, std::string reason);
  void time_out(std::chrono::milliseconds limit);
  // release_native: hang up the native side even of a watched connection (the user asked).
  void finish_end(bool release_native);

  std::shared_ptr<Session> current_session() const {
    std::lock_guard lock(state_mutex_);
    return session_;
  }

  std::shared_ptr<Backend> backend_;

  // Guarded by state_mutex_ (lock order: state_mutex_, then queue_mutex_).
  mutable std::mutex state_mutex_;
  LifeSoFar life_;
  std::uint64_t next_seq_ = 1;
  std::uint32_t attempt_ = 1;
  std::int64_t last_native_code_ = 0;
  std::string last_native_name_;
  std::optional<Error> last_error_;
  std::optional<std::uint32_t> last_subentry_;
  std::string last_reason_;
  bool accepted_end_ = false;
  // An end has been decided (user hang-up, timeout, unhandled pause); pending_end_ says how
  // it is reported, finishing_thread_ who carries it out.
  bool ending_ = false;
  // How the end is reported; on the heap, since only an ending connection needs it (idle
  // connections stay small).
  struct Ending {
    std::optional<Error> error;
    std::string reason;
    // The backend's own `disconnected` seen while ending: its native code and name are kept
    // on the `disconnected` core reports.
    std::optional<std::pair<std::int64_t, std::string>> native;
  };
  std::unique_ptr<Ending> end_;
  Ending& ending_info_locked() {
    if (!end_) end_ = std::make_unique<Ending>();
    return *end_;
  }
  std::optional<std::thread::id> finishing_thread_;
  bool hangup_done_ = false;
  bool delivered_end_ = false;  // `disconnected` reached the subscribers
  // Signals hangup_done_ and delivered_end_ (one condition variable keeps connections small).
  mutable std::condition_variable changed_cv_;
  std::shared_ptr<Session> session_;
  // The dial timeout may still fire: set before its task is posted (the task may run before
  // post_after() returns), cleared by the first `connected`, the end, or the timeout itself.
  bool timeout_armed_ = false;
  std::optional<Scheduler::TaskId> timeout_task_;
  std::optional<Scheduler::TaskId> redial_task_;

  // Guarded by queue_mutex_.
  std::mutex queue_mutex_;
  std::vector<Item> queue_;
  bool draining_ = false;

  // Touched only by the drain (one at a time).
  std::optional<Event> last_delivered_;

  // Serializes dial, resume and hangup towards the session. Recursive: with inline
  // delivery a slot may hang up from inside the backend call that reported its event.
  std::recursive_mutex control_mutex_;
  // Guarded by control_mutex_: the current session was hung up (at most once per session).
  bool session_released_ = false;
  void hangup_session_control_locked() {
    if (session_released_) return;
    if (auto session = current_session()) {
      session_released_ = true;
      session->hangup();
    }
  }


  EventSignal signal_;
};

class ConnectionCore::ReporterImpl final : public Reporter {
 public:
  ReporterImpl(std::weak_ptr<ConnectionCore> c, std::uint32_t attempt)
      : connection_(std::move(c)), attempt_(attempt) {}
  void report(NativeReport r) override {
    if (auto c = connection_.lock()) c->on_report(attempt_, std::move(r));
  }

 private:
  std::weak_ptr<ConnectionCore> connection_;
  std::uint32_t attempt_;
};

// Adopted (watched) connections reported by a backend's watch.
class WatchCore : public std::enable_shared_from_this<WatchCore> {
 public:
  class Sink;
  WatchCore(std::shared_ptr<RuntimeCore> rt, std::string backend_name,
            std::shared_ptr<Backend> backend, EventSlot slot)
      : runtime_(std::move(rt)),
        backend_name_(std::move(backend_name)),
        backend_(std::move(backend)),
        slot_(std::move(slot)) {}
  void report(const std::string& id, const std::string& entry, NativeReport r);
  void stop() {
    std::unique_ptr<WatchHandle> handle;
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
      handle = std::move(handle_);
    }
    handle.reset();  // joins the backend's watch thread, if any
    std::unordered_map<std::string, std::shared_ptr<ConnectionCore>> adopted;
    {
      std::lock_guard lock(mutex_);
      adopted.swap(adopted_);
    }
    // Released, not hung up: watching never changes what it watches (DESIGN.md section 3).
    for (auto& [id, c] : adopted) {
      c->drop_subscriptions();
      runtime_->forget(c->id_);
    }
  }

  std::shared_ptr<RuntimeCore> runtime_;
  std::string backend_name_;
  std::shared_ptr<Backend> backend_;
  EventSlot slot_;
  std::mutex mutex_;
  bool stopped_ = false;
  std::unique_ptr<WatchHandle> handle_;
  std::unordered_map<std::string, std::shared_ptr<ConnectionCore>> adopted_;
};

class WatchCore::Sink final : public WatchSink {
 public:
  explicit Sink(std::weak_ptr<WatchCore> w) : watch_(std::move(w)) {}
  void report(const std::string& id, const std::string& entry, NativeReport r) override {
    if (auto w = watch_.lock()) w->report(id, entry, std::move(r));
  }

 private:
  std::weak_ptr<WatchCore> watch_;
};

// ---------------------------------------------------------------------------------------
// ConnectionCore: reporting side

void ConnectionCore::on_report(std::uint32_t attempt, NativeReport r) {
  bool post = false;
  std::optional<std::chrono::milliseconds> redial_delay;
  bool end_for_pause = false;
  Error pause_error;
  {
    std::lock_guard lock(state_mutex_);
    if (accepted_end_ || attempt != attempt_) {
      diagnose_locked(Diagnostic::Kind::late_report, r,
                      "report after the connection (or its attempt) ended; dropped", post);
    } else if (ending_ && r.state == State::connected && end_ && end_->error &&
               end_->error->code == Errc::timeout) {
      // The timeout fired first and the link is being hung up: `connected` now would be
      // followed by the timeout's `disconnected`, as if the timeout had fired after it.
      diagnose_locked(Diagnostic::Kind::late_report, r,
                      "connected after the dial timed out; dropped (the dial is being hung up)", post);
    } else if (ending_ && r.state == State::disconnected) {
      // Core reports the end of a hang-up itself, with the reason it knows, and with the
      // backend's native code for it.
      ending_info_locked().native.emplace(r.native_code, std::move(r.native_name));
    } else if (ending_ && !life_.adopted && state_group(r.state) == StateGroup::paused) {
      // A pause that arrives while hanging up is moot.
    } else if (is_paused(r.state) && !options_.handle_paused_states && !life_.adopted) {
      if (!transition_allowed(life_, r.state)) {
        reject_locked(r, post);
      } else {
        // Instead of the pause, the caller gets `disconnected` with the matching error.
        end_for_pause = true;
        pause_error.code = error_for_unhandled_pause(r.state);
        pause_error.native_code = r.native_code;
        pause_error.native_text = r.native_name;
        pause_error.detail = std::string("the dial paused in ") + std::string(state_name(r.state)) +
                             " and the caller does not handle paused states";
        ending_ = true;
      }
    } else if (r.state == State::disconnected && r.error && !life_.connected_seen &&
               !life_.adopted && !ending_ && options_.redial.should_retry(*r.error, attempt_)) {
      // A failed attempt worth another try: deliver its error on `disconnecting`, then
      // dial again under the same connection.
      r.state = State::disconnecting;
      if (transition_allowed(life_, r.state)) {
        accept_locked(r, post);
        redial_delay = options_.redial.delay_before(attempt_ + 1);
      } else {
        reject_locked(r, post);
      }
    } else if (!transition_allowed(life_, r.state)) {
      reject_locked(r, post);
    } else {
      accept_locked(r, post);
    }
    if (redial_delay) {
      const std::uint32_t next = attempt_ + 1;
      std::weak_ptr<ConnectionCore> weak = weak_from_this();
      redial_task_ = runtime_->scheduler_->post_after(*redial_delay, [weak, next] {
        if (auto c = weak.lock()) {
          auto started = c->start_attempt(next);
          if (!started) c->end_by_core(started.error());
        }
      });
    }
  }
  if (end_for_pause) {
    std::weak_ptr<ConnectionCore> weak = weak_from_this();
    // Not on the backend's reporting thread: the hang-up may wait for that very thread.
    runtime_->scheduler_->post_after(Clock::duration::zero(), [weak, pause_error] {
      if (auto c = weak.lock()) c->end_by_core(pause_error);
    });
  }
  if (post) post_drain();
}

void ConnectionCore::accept_locked(const NativeReport& r, bool& post) {
  if (life_.last && *life_.last == r.state && r.native_code == last_native_code_ &&
      r.error == last_error_ && r.subentry == last_subentry_ &&
      (r.reason.empty() || r.reason == last_reason_)) {
    return;  // rule 3: a repeat that carries nothing new is dropped silently
  }
  Event e;
  e.connection = id_;
  e.live_id = live_id_;
  e.backend = backend_name_;
  e.entry = entry_;
  e.seq = next_seq_++;
  e.state = r.state;
  e.previous = life_.last;
  e.time = runtime_->scheduler_->now();
  e.native_code = r.native_code;
  e.native_name = r.native_name;
  e.error = r.error;
  e.reason = r.reason;
  e.subentry = r.subentry;
  e.attempt = attempt_;

  if (life_.redial_started) {
    life_.redial_started = false;
    life_.disconnecting_seen = false;
  }
  life_.last = r.state;
  if (r.state == State::connected) life_.connected_seen = true;
  if (r.state == State::disconnecting) life_.disconnecting_seen = true;
  if (is_paused(r.state)) life_.disconnecting_seen = false;  // resuming continues the dial
  last_native_code_ = r.native_code;
  last_native_name_ = r.native_name;
  if (r.error || r.state == State::disconnected || r.state == State::connected) last_error_ = r.error;
  last_subentry_ = r.subentry;
  if (!r.reason.empty()) last_reason_ = r.reason;
  if (r.state == State::connected || r.state == State::disconnected) {
    timeout_armed_ = false;
    if (timeout_task_) {
      runtime_->scheduler_->cancel(*timeout_task_);
      timeout_task_.reset();
    }
  }
  if (r.state == State::disconnected) accepted_end_ = true;
  enqueue_locked(std::move(e), post);
}

void ConnectionCore::diagnose_locked(Diagnostic::Kind kind, const NativeReport& r,
                                     std::string message, bool& post) {
  Diagnostic d;
  d.kind = kind;
  d.connection = id_;
  d.backend = backend_name_;
  d.from = life_.last;
  d.to = r.state;
  d.native_code = r.native_code;
  d.native_name = r.native_name;
  d.message = std::move(message);
  enqueue_locked(std::move(d), post);
}

void ConnectionCore::enqueue_locked(Item item, bool& post) {
  std::lock_guard lock(queue_mutex_);
  queue_.push_back(std::move(item));
  if (!draining_) {
    draining_ = true;
    post = true;
  }
}

void ConnectionCore::post_drain() {
  // Inline delivery drains right here: every caller holds a strong reference to this
  // connection for the duration, so no extra one (and no task object) is needed.
  if (runtime_->options_.delivery == RuntimeOptions::Delivery::inline_delivery) {
    drain();
    return;
  }
  runtime_->post(id_, [self = shared_from_this()] { self->drain(); });
}

void ConnectionCore::drain() {
  std::vector<Item> batch;
  for (;;) {
    {
      std::lock_guard lock(queue_mutex_);
      if (queue_.empty()) {
        draining_ = false;
        return;
      }
      batch.swap(queue_);
    }
    for (auto& item : batch) deliver(item);
    batch.clear();
  }
}

void ConnectionCore::deliver(Item& item) {
  DeliveringScope scope;
  if (auto* e = std::get_if<Event>(&item)) {
    signal_(*e);
    runtime_->deliver_to_all(*e);
    last_delivered_ = std::move(*e);
    e = &*last_delivered_;
    if (e->state == State::disconnected) {
      // Nothing follows `disconnected`; dropping the slots also breaks cycles through slots
      // that hold their own Connection.
      signal_.disconnect_all_slots();
      {
        std::lock_guard lock(state_mutex_);
        delivered_end_ = true;
      }
      changed_cv_.notify_all();
      runtime_->forget(id_);
    }
  } else if (auto* d = std::get_if<Diagnostic>(&item)) {
    runtime_->emit_diagnostic_now(*d);
  } else if (auto* a = std::get_if<Activate>(&item)) {
    // Unsubscribed before its turn. (A link the end disconnected still gets the end.)
    if (a->turn->load(std::memory_order_acquire) == Turn::cancelled) return;
    if (last_delivered_) {
      Event copy = *last_delivered_;
      copy.replayed = true;
      try {
        (*a->slot)(copy);
      } catch (const std::exception& ex) {
        slot_threw(std::string("a subscriber threw: ") + ex.what());
      } catch (...) {
        slot_threw("a subscriber threw a non-standard exception");
      }
    }
    auto waiting = Turn::waiting;
    a->turn->compare_exchange_strong(waiting, Turn::active, std::memory_order_acq_rel);
    if (last_delivered_ && last_delivered_->state == State::disconnected) a->link.disconnect();
  }
}

void ConnectionCore::slot_threw(std::string what) {
  Diagnostic d;
  d.kind = Diagnostic::Kind::slot_exception;
  d.connection = id_;
  d.backend = backend_name_;
  d.message = std::move(what);
  runtime_->emit_diagnostic_now(d);
}

// ---------------------------------------------------------------------------------------
// ConnectionCore: control side

Result<void> ConnectionCore::start_attempt(std::uint32_t attempt) {
  if (runtime_->shut_down_) return fail(runtime_gone());
  std::lock_guard control(control_mutex_);
  std::shared_ptr<Session> old;
  DialRequest request;
  std::shared_ptr<ReporterImpl> reporter;
  {
    std::lock_guard lock(state_mutex_);
    if (ending_ || accepted_end_) return {};
    redial_task_.reset();
    if (attempt > 1) life_.redial_started = true;
    attempt_ = attempt;
    old = std::move(session_);
    request.connection = id_;
    request.attempt = attempt;
    request.entry = entry_;
    request.credentials = options_.credentials;
    request.phone_number = options_.phone_number;
    request.callback_number = options_.callback_number;
    request.handle_paused_states = options_.handle_paused_states;
    reporter = std::make_shared<ReporterImpl>(weak_from_this(), attempt);
  }
  old.reset();  // the previous attempt's session, already ended
  auto session = backend_->dial(request, reporter);
  if (!session) return fail(session.error());
  auto shared = keep_loaded(std::move(*session), backend_);
  bool hang_up_now = false;
  {
    std::lock_guard lock(state_mutex_);
    session_ = shared;
    session_released_ = false;
    hang_up_now = ending_;
  }
  // An end decided while the backend was still inside dial(): release the native side now.
  if (hang_up_now) hangup_session_control_locked();
  return {};
}

Result<void> ConnectionCore::resume(ResumeInput input) {
  if (runtime_->shut_down_) return fail(runtime_gone());
  // Never wait for the control lock while a hang-up holds it: the hang-up may be waiting for
  // this very thread (a backend thread delivering inline). Give up once an end is decided.
  // (try_lock in a short loop: GCC 12's TSan does not intercept timed mutex waits.)
  std::unique_lock control(control_mutex_, std::defer_lock);
  while (!control.try_lock()) {
    {
      std::lock_guard lock(state_mutex_);
      if (ending_ || accepted_end_)
        return fail(make_error(Errc::invalid_state, "the connection is being hung up"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(state_mutex_);
    if (accepted_end_ || ending_)
      return fail(make_error(Errc::invalid_state, "the connection has ended"));
    if (!life_.last || !is_paused(*life_.last))
      return fail(make_error(Errc::invalid_state,
                             std::string("not paused (state ") +
                                 std::string(life_.last ? state_name(*life_.last) : "none") + ")"));
    const auto wanted = accepted_input(*life_.last);
    if (resume_input_name(input) != wanted)
      return fail(make_error(Errc::invalid_argument,
                             std::string(state_name(*life_.last)) + " takes " + std::string(wanted) +
                                 ", not " + std::string(resume_input_name(input))));
    session = session_;
  }
  if (!session) return fail(make_error(Errc::invalid_state, "no live session to resume"));
  return session->resume(input);
}

void ConnectionCore::cancel_tasks_locked() {
  timeout_armed_ = false;
  if (timeout_task_) runtime_->scheduler_->cancel(*timeout_task_);
  if (redial_task_) runtime_->scheduler_->cancel(*redial_task_);
  timeout_task_.reset();
  redial_task_.reset();
}

Result<void> ConnectionCore::hangup() {
  {
    std::unique_lock lock(state_mutex_);
    if (finishing_thread_) {
      // Somebody is hanging up. Wait until the backend has released the connection, except
      // from inside a slot: the thread hanging up may be waiting for this one (it is, when it
      // is this one), and the end is delivered after the slot returns anyway.
      if (*finishing_thread_ != std::this_thread::get_id() && delivering_depth == 0)
        changed_cv_.wait(lock, [this] { return hangup_done_; });
      return {};
    }
    if (accepted_end_) return {};
    // The user's hang-up wins over an end core decided but has not carried out yet.
    ending_ = true;
    ending_info_locked().error.reset();
    ending_info_locked().reason = "local hang-up";
    finishing_thread_ = std::this_thread::get_id();
    cancel_tasks_locked();
  }
  finish_end(true);
  return {};
}

bool ConnectionCore::decide_end_locked(std::optional<Error> error, std::string reason) {
  if (accepted_end_ || finishing_thread_) return false;
  ending_ = true;
  ending_info_locked().error = std::move(error);
  ending_info_locked().reason = std::move(reason);
  finishing_thread_ = std::this_thread::get_id();
  cancel_tasks_locked();
  return true;
}

void ConnectionCore::end_by_core(Error error, std::string reason) {
  {
    std::lock_guard lock(state_mutex_);
    if (!decide_end_locked(std::move(error), std::move(reason))) return;
  }
  finish_end(false);
}

void ConnectionCore::arm_timeout(std::chrono::milliseconds limit) {
  {
    std::lock_guard lock(state_mutex_);
    if (ending_ || accepted_end_ || life_.connected_seen) return;
    timeout_armed_ = true;
  }
  const auto id = runtime_->scheduler_->post_after(limit, [weak = weak_from_this(), limit] {
    if (auto c = weak.lock()) c->time_out(limit);
  });
  std::lock_guard lock(state_mutex_);
  if (timeout_armed_)
    timeout_task_ = id;
  else
    runtime_->scheduler_->cancel(id);  // disarmed (or fired) meanwhile
}

void ConnectionCore::time_out(std::chrono::milliseconds limit) {
  {
    std::lock_guard lock(state_mutex_);
    // Disarmed by `connected` (or the end) under this lock: a timeout that lost that race
    // does nothing, even when its task had already started.
    if (!timeout_armed_ || life_.connected_seen) return;
    timeout_armed_ = false;
    timeout_task_.reset();
    if (!decide_end_locked(make_error(Errc::timeout, "not connected within " + std::to_string(limit.count()) + " ms"),
                           "timeout"))
      return;
  }
  finish_end(true);
}

void ConnectionCore::finish_end(bool release_native) {
  {
    std::lock_guard control(control_mutex_);
    if (current_session()) {
      hangup_session_control_locked();
    } else if (release_native && adopted_ && !live_id_.empty() && backend_) {
      if (auto done = backend_->hangup_live(live_id_); !done) {
        bool post = false;
        std::lock_guard lock(state_mutex_);
        NativeReport r;
        r.state = life_.last.value_or(State::disconnected);
        diagnose_locked(Diagnostic::Kind::backend_error, r,
                        "hang-up of a watched connection failed: " + done.error().message(), post);
      }
    }
  }
  bool post = false;
  {
    std::lock_guard lock(state_mutex_);
    if (!accepted_end_) {
      NativeReport r;
      r.state = State::disconnected;
      const bool native = end_ && end_->native;
      r.native_code = native ? end_->native->first : last_native_code_;
      r.native_name = native ? end_->native->second : last_native_name_;
      if (end_) {
        r.error = std::move(end_->error);
        r.reason = std::move(end_->reason);
      }
      // Bypasses validation on purpose: `disconnected` may end any life but an ended one.
      accept_locked(r, post);
    }
    hangup_done_ = true;
  }
  changed_cv_.notify_all();
  if (post) post_drain();
}

Status ConnectionCore::status() const {
  Status s;
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(state_mutex_);
    if (life_.last) s.state = *life_.last;
    s.error = last_error_;
    s.native_code = last_native_code_;
    s.native_name = last_native_name_;
    s.reason = last_reason_;
    s.attempt = attempt_;
    session = session_;
  }
  if (session) s.device = session->status();
  return s;
}

void ConnectionCore::connect_initial(EventSlot slot) { signal_.connect(std::move(slot)); }

Subscription ConnectionCore::subscribe(EventSlot slot, bool current_state_first) {
  auto shared_slot = std::make_shared<EventSlot>(std::move(slot));
  if (!current_state_first) {
    auto link = signal_.connect([shared_slot](const Event& e) { (*shared_slot)(e); });
    return Subscription([link]() mutable { link.disconnect(); });
  }
  // The slot is connected switched off, and the Activate item, queued behind everything
  // reported so far, switches it on after giving it the latest delivered event: nothing is
  // missed or doubled, whatever the dispatcher is doing meanwhile.
  auto turn = std::make_shared<std::atomic<Turn>>(Turn::waiting);
  auto link = signal_.connect([shared_slot, turn](const Event& e) {
    if (turn->load(std::memory_order_acquire) == Turn::active) (*shared_slot)(e);
  });
  bool post = false;
  {
    std::lock_guard lock(state_mutex_);
    enqueue_locked(Activate{shared_slot, turn, link}, post);
  }
  if (post) post_drain();
  return Subscription([link, turn]() mutable {
    turn->store(Turn::cancelled, std::memory_order_release);
    link.disconnect();
  });
}

void ConnectionCore::release_plugin_objects() {
  std::shared_ptr<Session> session;
  std::shared_ptr<Backend> backend;
  {
    std::lock_guard control(control_mutex_);
    std::lock_guard lock(state_mutex_);
    session = std::move(session_);
    backend = std::move(backend_);
  }
  session.reset();
  backend.reset();
}

// ---------------------------------------------------------------------------------------
// WatchCore

void WatchCore::report(const std::string& id, const std::string& entry, NativeReport r) {
  std::shared_ptr<ConnectionCore> c;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    auto it = adopted_.find(id);
    if (it != adopted_.end() && it->second->accepted_end()) {
      adopted_.erase(it);  // the native connection came back: a new connection for it
      it = adopted_.end();
    }
    if (it == adopted_.end()) {
      c = runtime_->make_connection(backend_name_, entry, backend_, true);
      c->live_id_ = id;
      c->connect_initial(slot_);
      adopted_.emplace(id, c);
    } else {
      c = it->second;
    }
  }
  c->on_report(1, std::move(r));
}

// ---------------------------------------------------------------------------------------
// RuntimeCore

RuntimeCore::RuntimeCore(RuntimeOptions opts)
    : options_(std::move(opts)),
      all_events_(IsolatingCombiner<SlotErrorReport>{[this](std::string what) {
        Diagnostic d;
        d.kind = Diagnostic::Kind::slot_exception;
        d.message = std::move(what);
        emit_diagnostic_now(d);
      }}),
      // A diagnostics slot that throws has nowhere to report to; it is skipped.
      diagnostics_(IsolatingCombiner<SlotErrorReport>{}) {
  scheduler_ = options_.scheduler;
  if (!scheduler_) {
    owned_scheduler_ = std::make_shared<RealTimeScheduler>();
    scheduler_ = owned_scheduler_;
  }
  if (options_.delivery == RuntimeOptions::Delivery::dispatcher_thread) {
    // The report runs as a dispatcher task; shutdown() stops the dispatcher before anything
    // it uses is destroyed.
    dispatcher_ = std::make_unique<Dispatcher>(
        options_.slow_slot_after, options_.max_dispatcher_threads,
        [this](ConnectionId c, std::chrono::milliseconds ran, unsigned threads, bool at_limit) {
          report_slow_slot(c, ran, threads, at_limit);
        });
  }
}

void RuntimeCore::start() {
  if (!options_.load_plugins) return;
  auto scan = scan_plugins(options_.plugins);
  std::lock_guard lock(mutex_);
  refused_ = std::move(scan.refused);
  for (auto& p : scan.loaded) {
    auto name = p.factory->name();
    if (backends_.count(name)) continue;
    order_.push_back(name);
    backends_.emplace(name, BackendSlot{std::move(p.factory), p.path.string(), nullptr, std::nullopt});
  }
}

void RuntimeCore::post(ConnectionId connection, std::function<void()> task) {
  switch (options_.delivery) {
    case RuntimeOptions::Delivery::dispatcher_thread:
      if (dispatcher_) {
        dispatcher_->post(connection, std::move(task));
        return;
      }
      break;
    case RuntimeOptions::Delivery::custom:
      if (options_.executor) {
        options_.executor(std::move(task));
        return;
      }
      break;
    case RuntimeOptions::Delivery::inline_delivery:
      break;
  }
  task();
}

void RuntimeCore::emit_diagnostic_now(const Diagnostic& d) { diagnostics_(d); }

void RuntimeCore::backend_failed(const std::string& name, const std::string& what) {
  std::vector<std::weak_ptr<ConnectionCore>> victims;
  {
    std::lock_guard lock(mutex_);
    if (shut_down_) return;
    if (auto it = backends_.find(name); it != backends_.end() && !it->second.failed) it->second.failed = what;
    for (auto& [id, c] : live_)
      if (c->backend_name_ == name) victims.push_back(c);
  }
  Diagnostic d;
  d.kind = Diagnostic::Kind::backend_error;
  d.backend = name;
  d.message = "backend \"" + name + "\" failed: " + what + "; its connections end with backend_failed";
  post_diagnostic(d);
  const Error e = make_error(Errc::backend_failed, "backend \"" + name + "\" failed: " + what);
  // The endings run on the runtime's scheduler, not here: the failing thread may be one the
  // backend's hang-up waits for.
  for (auto& weak : victims) {
    scheduler_->post_after(Clock::duration::zero(), [weak, e] {
      if (auto c = weak.lock()) c->end_by_core(e);
    });
  }
}

void RuntimeCore::report_slow_slot(ConnectionId connection, std::chrono::milliseconds ran, unsigned threads,
                                   bool at_limit) {
  Diagnostic d;
  d.kind = Diagnostic::Kind::slow_slot;
  d.connection = connection;
  {
    std::lock_guard lock(mutex_);
    if (auto it = live_.find(connection); it != live_.end()) d.backend = it->second->backend_name_;
  }
  d.message = "a subscriber of connection " + std::to_string(connection) + " has run for " +
              std::to_string(ran.count()) + " ms (the bound is " +
              std::to_string(options_.slow_slot_after.count()) + " ms); " +
              (at_limit ? "all " + std::to_string(threads) +
                              " dispatcher threads are busy, so other connections' events wait until one returns"
                        : "other connections' events go on on another dispatcher thread (" +
                              std::to_string(threads) + " now)");
  emit_diagnostic_now(d);
}

void RuntimeCore::post_diagnostic(Diagnostic d) {
  const ConnectionId c = d.connection;
  post(c, [self = shared_from_this(), d = std::move(d)] { self->emit_diagnostic_now(d); });
}

Subscription RuntimeCore::subscribe_all(EventSlot slot) {
  auto link = all_events_.connect(std::move(slot));
  all_event_slots_.fetch_add(1, std::memory_order_acq_rel);
  auto flag = std::make_shared<std::atomic<bool>>(false);
  std::weak_ptr<RuntimeCore> weak = weak_from_this();
  return Subscription([link, flag, weak]() mutable {
    if (flag->exchange(true)) return;
    link.disconnect();
    if (auto rt = weak.lock()) rt->all_event_slots_.fetch_sub(1, std::memory_order_acq_rel);
  });
}

Subscription RuntimeCore::subscribe_diagnostics(DiagnosticSlot slot) {
  auto link = diagnostics_.connect(std::move(slot));
  return Subscription([link]() mutable { link.disconnect(); });
}

Result<std::shared_ptr<Backend>> RuntimeCore::backend(std::string_view name) {
  if (shut_down_) return fail(runtime_gone());
  std::lock_guard lock(mutex_);
  auto it = backends_.find(std::string(name));
  if (it == backends_.end()) {
    std::string known;
    for (const auto& n : order_) known += (known.empty() ? "" : ", ") + n;
    return fail(make_error(Errc::backend_unavailable,
                           "no backend named \"" + std::string(name) + "\" (loaded: " +
                               (known.empty() ? "none" : known) + ")"));
  }
  auto& slot = it->second;
  if (slot.failed)
    return fail(make_error(Errc::backend_failed,
                           "backend \"" + std::string(name) + "\" failed earlier: " + *slot.failed));
  if (!slot.live) {
    const BackendContext ctx = context_for(it->first);
    if (auto probe = slot.factory->probe_with(ctx); !probe) {
      Error e = probe.error();
      if (e.code != Errc::backend_unavailable && e.code != Errc::permission_denied)
        e.code = Errc::backend_unavailable;
      e.detail = "backend \"" + std::string(name) + "\" is not usable here: " + e.detail;
      return fail(e);
    }
    auto created = slot.factory->create(ctx);
    if (!created) return fail(created.error());
    slot.live = keep_loaded(std::move(*created), std::shared_ptr<void>(slot.factory));
  }
  return slot.live;
}

std::shared_ptr<ConnectionCore> RuntimeCore::make_connection(std::string backend_name, std::string entry,
                                                             std::shared_ptr<Backend> backend, bool adopted) {
  auto c = std::make_shared<ConnectionCore>(shared_from_this(), next_id_.fetch_add(1), std::move(backend_name),
                                            std::move(entry), std::move(backend), adopted);
  std::lock_guard lock(mutex_);
  if (!shut_down_) live_.emplace(c->id_, c);
  return c;
}

Result<Connection> RuntimeCore::dial(const std::string& backend_name, std::string_view entry,
                                     DialOptions options, EventSlot handler) {
  if (auto ok = detail::check_dial_options(factory(backend_name).get(), backend_name, options); !ok)
    return fail(ok.error());
  auto b = backend(backend_name);
  if (!b) return fail(b.error());
  if (options.redial.attempts == 0) options.redial.attempts = 1;
  auto c = make_connection(backend_name, std::string(entry), *b, false);
  c->options_ = std::move(options);
  if (handler) c->connect_initial(std::move(handler));
  // Before the attempt starts: a backend may report (even `connected`) before dial() returns.
  if (c->options_.timeout) c->arm_timeout(*c->options_.timeout);
  auto started = c->start_attempt(1);
  if (!started) {
    c->abandon();
    forget(c->id_);
    return fail(started.error());
  }
  return Connection(c);
}

void RuntimeCore::shutdown() {
  if (shut_down_.exchange(true)) return;
  std::vector<std::shared_ptr<ConnectionCore>> live;
  std::vector<std::shared_ptr<WatchCore>> watches;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, c] : live_) live.push_back(c);
    for (auto& w : watches_)
      if (auto c = w.lock()) watches.push_back(std::move(c));
  }
  // 1. Drop subscriptions first: no slot runs while the runtime is being destroyed (what the
  //    slots use may be gone already), and the hang-ups below deliver to nobody.
  for (auto& w : watches) w->stop();
  for (auto& c : live) c->drop_subscriptions();
  all_events_.disconnect_all_slots();
  diagnostics_.disconnect_all_slots();
  // 2. Hang up the dials this runtime started that are still live (a dial must not outlive
  //    the runtime that made it), then stop backend threads and timers. Watched connections
  //    are released, never hung up: they belong to whoever started them.
  for (auto& c : live)
    if (!c->adopted_) (void)c->hangup();
  std::vector<std::shared_ptr<Backend>> backends;
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, slot] : backends_)
      if (slot.live) backends.push_back(slot.live);
  }
  for (auto& b : backends) b->shutdown();
  if (owned_scheduler_) owned_scheduler_->stop();
  if (dispatcher_) dispatcher_->stop();
  // 3. Destroy backends (sessions first), 4. then release the libraries (factories).
  for (auto& c : live) c->release_plugin_objects();
  live.clear();
  backends.clear();
  std::lock_guard lock(mutex_);
  live_.clear();
  for (auto& [name, slot] : backends_) slot.live.reset();
  backends_.clear();
  order_.clear();
}

}  // namespace detail

// ---------------------------------------------------------------------------------------
// Public handles

Subscription::Subscription(std::function<void()> disconnect) : disconnect_(std::move(disconnect)) {}
Subscription::Subscription(Subscription&& other) noexcept : disconnect_(std::move(other.disconnect_)) {
  other.disconnect_ = nullptr;
}
Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    disconnect();
    disconnect_ = std::move(other.disconnect_);
    other.disconnect_ = nullptr;
  }
  return *this;
}
Subscription::~Subscription() { disconnect(); }
void Subscription::disconnect() {
  if (auto d = std::move(disconnect_)) {
    disconnect_ = nullptr;
    d();
  }
}
void Subscription::release() noexcept { disconnect_ = nullptr; }

Connection::Connection(std::shared_ptr<detail::ConnectionCore> core) : core_(std::move(core)) {}
ConnectionId Connection::id() const noexcept { return core_->id_; }
const std::string& Connection::backend() const noexcept { return core_->backend_name_; }
const std::string& Connection::entry() const noexcept { return core_->entry_; }
Status Connection::status() const { return core_->status(); }
Result<void> Connection::resume(ResumeInput input) { return core_->resume(std::move(input)); }
Result<void> Connection::hangup() { return core_->hangup(); }
Subscription Connection::subscribe(EventSlot slot, bool current_state_first) {
  return core_->subscribe(std::move(slot), current_state_first);
}
bool Connection::ended() const { return core_->ended(); }
bool Connection::wait_until_ended(std::chrono::milliseconds limit) const {
  return core_->wait_until_ended(limit);
}

Watch::Watch(std::shared_ptr<detail::WatchCore> core) : core_(std::move(core)) {}
Watch::Watch(Watch&&) noexcept = default;
Watch& Watch::operator=(Watch&& other) noexcept {
  if (this != &other) {
    stop();
    core_ = std::move(other.core_);
  }
  return *this;
}
Watch::~Watch() { stop(); }
void Watch::stop() {
  if (auto c = std::move(core_)) c->stop();
}

Dialer::Dialer(std::shared_ptr<detail::RuntimeCore> runtime, std::string backend)
    : runtime_(std::move(runtime)), backend_(std::move(backend)) {}
const std::string& Dialer::backend_name() const noexcept { return backend_; }

Result<Connection> Dialer::dial(std::string_view entry, DialOptions options, EventSlot handler) {
  return runtime_->dial(backend_, entry, std::move(options), std::move(handler));
}

Result<std::vector<Entry>> Dialer::entries() const {
  auto b = runtime_->backend(backend_);
  if (!b) return fail(b.error());
  return (*b)->entries();
}

Result<std::vector<LiveConnection>> Dialer::connections() const {
  auto b = runtime_->backend(backend_);
  if (!b) return fail(b.error());
  return (*b)->live_connections();
}

Result<void> Dialer::hangup(std::string_view live_id) {
  auto b = runtime_->backend(backend_);
  if (!b) return fail(b.error());
  return (*b)->hangup_live(live_id);
}

Result<Watch> Dialer::watch(EventSlot slot) {
  auto b = runtime_->backend(backend_);
  if (!b) return fail(b.error());
  auto core = std::make_shared<detail::WatchCore>(runtime_, backend_, *b, std::move(slot));
  auto handle = (*b)->watch(std::make_shared<detail::WatchCore::Sink>(core));
  if (!handle) return fail(handle.error());
  {
    std::lock_guard lock(core->mutex_);
    core->handle_ = std::move(*handle);
  }
  {
    std::lock_guard lock(runtime_->mutex_);
    runtime_->watches_.push_back(core);
  }
  return Watch(core);
}

Runtime::Runtime(RuntimeOptions options)
    : core_(std::make_shared<detail::RuntimeCore>(std::move(options))) {
  core_->start();
}

Runtime::~Runtime() { core_->shutdown(); }

void Runtime::add_backend(std::shared_ptr<BackendFactory> factory, std::string origin) {
  auto name = factory->name();
  std::lock_guard lock(core_->mutex_);
  auto it = core_->backends_.find(name);
  if (it == core_->backends_.end()) {
    core_->order_.push_back(name);
    core_->backends_.emplace(name, detail::RuntimeCore::BackendSlot{std::move(factory), std::move(origin), nullptr, std::nullopt});
  } else {
    it->second = detail::RuntimeCore::BackendSlot{std::move(factory), std::move(origin), nullptr, std::nullopt};
  }
}

Result<void> Runtime::load_plugin_file(const std::filesystem::path& file, bool allow_insecure) {
  auto loaded = load_plugin(file, allow_insecure);
  if (!loaded) return fail(loaded.error());
  add_backend(std::move(loaded->factory), loaded->path.string());
  return {};
}

std::vector<BackendSummary> Runtime::backends() const {
  std::vector<BackendSummary> out;
  std::lock_guard lock(core_->mutex_);
  for (const auto& name : core_->order_) {
    const auto& slot = core_->backends_.at(name);
    BackendSummary s;
    s.name = name;
    s.description = slot.factory->description();
    s.path = slot.origin;
    s.is_fake = slot.factory->is_fake();
    if (auto probe = slot.factory->probe_with(core_->context_for(name)); !probe)
      s.unusable = probe.error();
    s.capabilities = detail::declared_capabilities(*slot.factory, name).value_or(Capabilities{});
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<PluginRefusal> Runtime::refused_plugins() const {
  std::lock_guard lock(core_->mutex_);
  return core_->refused_;
}

Result<void> Runtime::check_dial_options(std::string_view backend, const DialOptions& options) const {
  const std::string name(backend);
  return detail::check_dial_options(core_->factory(name).get(), name, options);
}

Result<Dialer> Runtime::dialer(std::string_view backend) {
  auto b = core_->backend(backend);
  if (!b) return fail(b.error());
  return Dialer(core_, std::string(backend));
}

Result<Dialer> Runtime::default_dialer() {
  std::string reasons;
  for (const auto& s : backends()) {
    if (s.is_fake) continue;
    if (s.unusable) {
      reasons += (reasons.empty() ? "" : "; ") + s.name + ": " + s.unusable->message();
      continue;
    }
    if (auto d = dialer(s.name)) return d;
    else reasons += (reasons.empty() ? "" : "; ") + s.name + ": " + d.error().message();
  }
  return fail(make_error(Errc::backend_unavailable,
                         reasons.empty() ? "no platform backend is loaded" : reasons));
}

Subscription Runtime::on_event(EventSlot slot) { return core_->subscribe_all(std::move(slot)); }
Subscription Runtime::on_diagnostic(DiagnosticSlot slot) {
  return core_->subscribe_diagnostics(std::move(slot));
}
std::uint64_t Runtime::illegal_transitions() const { return core_->illegal_.load(); }
Scheduler& Runtime::scheduler() { return *core_->scheduler_; }

}  // namespace dialkit
