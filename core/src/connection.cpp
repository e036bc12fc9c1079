// A connection's reporting side (validation, numbering, its strand) and control side (dial
// attempts, resume, hang-up, the timeout and the redial wait); see connection.hpp.
#include "connection.hpp"

#include <exception>

namespace dialkit::detail {
namespace {

// How deep this thread is inside deliveries (slots). A hang-up called from a slot must not
// wait for another thread's hang-up: that thread may be waiting for this one.
thread_local int delivering_depth = 0;
struct DeliveringScope {
  DeliveringScope() { ++delivering_depth; }
  ~DeliveringScope() { --delivering_depth; }
  DeliveringScope(const DeliveringScope&) = delete;
  DeliveringScope& operator=(const DeliveringScope&) = delete;
};

}  // namespace

Error runtime_gone() { return make_error(Errc::backend_unavailable, "the runtime has been shut down"); }

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

ConnectionCore::ConnectionCore(std::shared_ptr<ConnectionHost> host, ConnectionId id, std::string backend_name,
                               std::string entry, std::shared_ptr<Backend> backend, DialOptions options,
                               std::optional<std::string> watched_as)
    : host_(std::move(host)),
      id_(id),
      backend_name_(std::move(backend_name)),
      entry_(std::move(entry)),
      adopted_(watched_as.has_value()),
      options_(std::move(options)),
      live_id_(watched_as.value_or(std::string())),
      backend_(std::move(backend)),
      signal_(IsolatingCombiner<SlotErrorReport>{[this](std::string what) { slot_threw(std::move(what)); }}) {
  life_.adopted = adopted_;
}

bool ConnectionCore::ended() const {
  std::lock_guard lock(state_mutex_);
  return delivered_end_;
}

bool ConnectionCore::wait_until_ended(std::chrono::milliseconds limit) const {
  std::unique_lock lock(state_mutex_);
  return changed_cv_.wait_for(lock, limit, [this] { return delivered_end_; });
}

void ConnectionCore::abandon() {
  std::lock_guard lock(state_mutex_);
  cancel_tasks_locked();
  accepted_end_ = true;
}

bool ConnectionCore::accepted_end() const {
  std::lock_guard lock(state_mutex_);
  return accepted_end_;
}

std::shared_ptr<Session> ConnectionCore::current_session() const {
  std::lock_guard lock(state_mutex_);
  return session_;
}

void ConnectionCore::hangup_session_control_locked() {
  if (session_released_) return;
  if (auto session = current_session()) {
    session_released_ = true;
    session->hangup();
  }
}

// ---------------------------------------------------------------------------------------
// ConnectionCore: reporting side

ReportContext ConnectionCore::report_context_locked(std::uint32_t attempt) const {
  ReportContext now;
  now.current_attempt = attempt == attempt_;
  now.ended = accepted_end_;
  now.ending = ending_;
  now.timed_out = end_ && end_->error && end_->error->code == Errc::timeout;
  now.handles_pauses = options_.handle_paused_states;
  now.redial = &options_.redial;
  now.attempt = attempt_;
  return now;
}

void ConnectionCore::on_report(std::uint32_t attempt, NativeReport r) {
  bool post = false;
  std::optional<Error> pause_error;
  {
    std::lock_guard lock(state_mutex_);
    switch (decide(life_, report_context_locked(attempt), r)) {
      case Verdict::accept:
        accept_locked(r, post);
        break;
      case Verdict::drop_repeat:
      case Verdict::drop_moot_pause:
        break;
      case Verdict::reject_illegal:
        reject_locked(r, post);
        break;
      case Verdict::redial:
        // The attempt's error is delivered on `disconnecting`; the next attempt follows under
        // the same connection.
        r.state = State::disconnecting;
        if (!is_repeat(life_, r)) accept_locked(r, post);
        // One next attempt per failed one: a backend that reports the failure again (the
        // same error, or another retryable one) before the next attempt starts gets none more.
        if (!redial_task_) schedule_redial_locked(options_.redial.delay_before(attempt_ + 1));
        break;
      case Verdict::end_for_pause: {
        // Instead of the pause, the caller gets `disconnected` with the matching error.
        Error e;
        e.code = error_for_unhandled_pause(r.state);
        e.native_code = r.native_code;
        e.native_text = r.native_name;
        e.detail = std::string("the dial paused in ") + std::string(state_name(r.state)) +
                   " and the caller does not handle paused states";
        pause_error = std::move(e);
        ending_ = true;
        break;
      }
      case Verdict::drop_late:
        diagnose_locked(Diagnostic::Kind::late_report, r,
                        "report after the connection (or its attempt) ended; dropped", post);
        break;
      case Verdict::drop_after_timeout:
        diagnose_locked(Diagnostic::Kind::late_report, r,
                        "connected after the dial timed out; dropped (the dial is being hung up)", post);
        break;
      case Verdict::keep_native_end:
        ending_info_locked().native.emplace(r.native_code, std::move(r.native_name));
        break;
    }
  }
  if (pause_error) {
    std::weak_ptr<ConnectionCore> weak = weak_from_this();
    // Not on the backend's reporting thread: the hang-up may wait for that very thread.
    host_->scheduler().post_after(Clock::duration::zero(), [weak, e = std::move(*pause_error)] {
      if (auto c = weak.lock()) c->end_by_core(e);
    });
  }
  if (post) post_drain();
}

void ConnectionCore::schedule_redial_locked(std::chrono::milliseconds delay) {
  const std::uint32_t next = attempt_ + 1;
  std::weak_ptr<ConnectionCore> weak = weak_from_this();
  redial_task_ = host_->scheduler().post_after(delay, [weak, next] {
    if (auto c = weak.lock()) {
      auto started = c->start_attempt(next);
      if (!started) c->end_by_core(started.error());
    }
  });
}

void ConnectionCore::accept_locked(const NativeReport& r, bool& post) {
  Event e;
  e.connection = id_;
  e.live_id = live_id_;
  e.backend = backend_name_;
  e.entry = entry_;
  e.seq = next_seq_++;
  e.state = r.state;
  e.previous = life_.last;
  e.time = host_->scheduler().now();
  e.native_code = r.native_code;
  e.native_name = r.native_name;
  e.error = r.error;
  e.reason = r.reason;
  e.subentry = r.subentry;
  e.attempt = attempt_;
  remember(life_, r);
  if (r.state == State::connected || r.state == State::disconnected) {
    timeout_armed_ = false;
    if (timeout_task_) {
      host_->scheduler().cancel(*timeout_task_);
      timeout_task_.reset();
    }
  }
  if (r.state == State::disconnected) accepted_end_ = true;
  enqueue_locked(std::move(e), post);
}

void ConnectionCore::reject_locked(const NativeReport& r, bool& post) {
  host_->count_illegal();
  diagnose_locked(Diagnostic::Kind::illegal_transition, r, "illegal transition; not delivered", post);
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
  if (host_->delivers_inline()) {
    drain();
    return;
  }
  host_->post(id_, [self = shared_from_this()] { self->drain(); });
}

void ConnectionCore::drain() {
  for (;;) {
    {
      std::lock_guard lock(queue_mutex_);
      if (queue_.empty()) {
        draining_ = false;
        return;
      }
      batch_.swap(queue_);
    }
    for (auto& item : batch_) deliver(item);
    batch_.clear();
  }
}

void ConnectionCore::deliver(Item& item) {
  DeliveringScope scope;
  if (auto* e = std::get_if<Event>(&item)) {
    signal_(*e);
    host_->deliver_to_all(*e);
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
      host_->forget(id_);
    }
  } else if (auto* d = std::get_if<Diagnostic>(&item)) {
    host_->emit_diagnostic_now(*d);
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
  host_->emit_diagnostic_now(d);
}

// ---------------------------------------------------------------------------------------
// ConnectionCore: control side

Result<void> ConnectionCore::start_attempt(std::uint32_t attempt) {
  if (host_->shut_down()) return fail(runtime_gone());
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
  if (host_->shut_down()) return fail(runtime_gone());
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
  if (timeout_task_) host_->scheduler().cancel(*timeout_task_);
  if (redial_task_) host_->scheduler().cancel(*redial_task_);
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
  const auto id = host_->scheduler().post_after(limit, [weak = weak_from_this(), limit] {
    if (auto c = weak.lock()) c->time_out(limit);
  });
  std::lock_guard lock(state_mutex_);
  if (timeout_armed_)
    timeout_task_ = id;
  else
    host_->scheduler().cancel(id);  // disarmed (or fired) meanwhile
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
      r.native_code = native ? end_->native->first : life_.native_code;
      r.native_name = native ? end_->native->second : life_.native_name;
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
    s.error = life_.error;
    s.native_code = life_.native_code;
    s.native_name = life_.native_name;
    s.reason = life_.reason;
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


}  // namespace dialkit::detail
