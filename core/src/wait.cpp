// What a caller waits for, on top of a connection's events: slots that receive the connection,
// the one-shot completion callback, Connection::wait_for() and Dialer::dial_and_wait() (rasdial's
// shape). All of it is built from subscriptions, so it keeps the bus's guarantees (in order,
// once, never concurrently) without a path of its own.
#include "connection.hpp"

#include <condition_variable>
#include <mutex>

namespace dialkit {
namespace {

DialCompletion completion_of(const Event& e) {
  DialCompletion done;
  done.event = e;
  if (e.state == State::connected) {
    done.outcome = DialOutcome::connected;
    return done;
  }
  done.error = e.error;
  if (!e.error) {
    // A dial that ends without an error before `connected` was hung up.
    done.outcome = DialOutcome::cancelled;
  } else if (e.error->code == Errc::timeout) {
    done.outcome = DialOutcome::timed_out;
  } else if (e.error->code == Errc::cancelled) {
    done.outcome = DialOutcome::cancelled;
  } else {
    done.outcome = DialOutcome::failed;
  }
  return done;
}

bool settles_dial(const Event& e) { return e.state == State::connected || e.state == State::disconnected; }

// One wait: the first answer wins; later ones (a late event, the timer) are ignored.
struct WaitState {
  std::mutex mutex;
  std::condition_variable answered;
  std::optional<WaitResult> result;

  void answer(WaitResult r) {
    std::lock_guard lock(mutex);
    if (result) return;
    result = std::move(r);
    answered.notify_all();
  }
  bool done() {
    std::lock_guard lock(mutex);
    return result.has_value();
  }
};

}  // namespace

std::string_view dial_outcome_name(DialOutcome o) noexcept {
  switch (o) {
    case DialOutcome::connected: return "connected";
    case DialOutcome::timed_out: return "timed_out";
    case DialOutcome::cancelled: return "cancelled";
    case DialOutcome::failed: return "failed";
  }
  return "unknown";
}

std::string_view wait_status_name(WaitStatus s) noexcept {
  switch (s) {
    case WaitStatus::satisfied: return "satisfied";
    case WaitStatus::ended_first: return "ended_first";
    case WaitStatus::timed_out: return "timed_out";
    case WaitStatus::aborted: return "aborted";
  }
  return "unknown";
}

namespace detail {

EventSlot ConnectionCore::bind(EventHandler handler) {
  if (handler.event_slot()) return std::move(handler.event_slot());
  if (!handler.connection_slot()) return {};
  std::weak_ptr<ConnectionCore> weak = weak_from_this();
  return [weak, slot = std::move(handler.connection_slot())](const Event& e) {
    // The strand holds the connection while it delivers: the lock only fails after teardown.
    if (auto self = weak.lock()) {
      Connection connection(std::move(self));
      slot(connection, e);
    }
  };
}

void ConnectionCore::attach(EventHandler handler, CompletionSlot on_complete) {
  if (handler) connect_initial(bind(std::move(handler)));
  if (!on_complete) return;
  // Connected after the handler: it runs after the handler got the deciding event.
  std::weak_ptr<ConnectionCore> weak = weak_from_this();
  connect_initial([weak, slot = std::move(on_complete), called = false](const Event& e) mutable {
    // The strand never runs two of this connection's events at once: `called` needs no lock.
    if (called || !settles_dial(e)) return;
    called = true;
    if (auto self = weak.lock()) {
      Connection connection(std::move(self));
      slot(connection, completion_of(e));
    }
  });
}

WaitResult ConnectionCore::wait_for(std::function<bool(const Event&)> predicate, std::chrono::milliseconds limit) {
  auto state = std::make_shared<WaitState>();
  // Current state first: a connection already in the state answers at once, one already
  // ended answers with its `disconnected`.
  Subscription watching = subscribe(
      [state, predicate = std::move(predicate)](const Event& e) {
        if (predicate(e)) {
          state->answer({WaitStatus::satisfied, e});
        } else if (e.state == State::disconnected) {
          state->answer({WaitStatus::ended_first, e});
        }
      },
      true);
  Scheduler& clock = host_->scheduler();
  if (auto* virtual_clock = dynamic_cast<VirtualScheduler*>(&clock)) {
    // Virtual time moves only when somebody runs the scheduler: this thread does, up to the
    // limit (a timer task among the others), so a wait in virtual time neither sleeps nor hangs.
    const auto timer = clock.post_after(limit, [state] { state->answer({WaitStatus::timed_out, std::nullopt}); });
    while (!state->done() && virtual_clock->run_next()) {
    }
    clock.cancel(timer);
    state->answer({WaitStatus::timed_out, std::nullopt});
  } else {
    std::unique_lock lock(state->mutex);
    if (!state->answered.wait_for(lock, limit, [&] { return state->result.has_value(); }))
      state->result = WaitResult{WaitStatus::timed_out, std::nullopt};
  }
  watching.disconnect();
  std::lock_guard lock(state->mutex);
  return *state->result;
}

}  // namespace detail

WaitResult Connection::wait_for(State state, std::chrono::milliseconds limit) const {
  return core_->wait_for([state](const Event& e) { return e.state == state; }, limit);
}

WaitResult Connection::wait_for(std::function<bool(const Event&)> predicate, std::chrono::milliseconds limit) const {
  return core_->wait_for(std::move(predicate), limit);
}

Result<Connection> Dialer::dial_and_wait(std::string_view entry, DialOptions options, std::chrono::milliseconds timeout,
                                         EventHandler handler) {
  if (!options.timeout || *options.timeout > timeout) options.timeout = timeout;
  auto connection = dial(entry, std::move(options), std::move(handler));
  if (!connection) return fail(connection.error());
  // The dial's own timeout ends it by `timeout`; the margin is for a backend's hang-up.
  constexpr auto hangup_margin = std::chrono::seconds(30);
  const auto waited = connection->wait_for(settles_dial, timeout + hangup_margin);
  if (!waited.event) {
    return fail(make_error(Errc::timeout, "the dial did not end within " + std::to_string(timeout.count()) +
                                              " ms and the backend's hang-up did not finish either"));
  }
  if (waited.event->state == State::connected) return connection;
  if (waited.event->error) return fail(*waited.event->error);
  return fail(make_error(Errc::cancelled, "hung up before connected" +
                                              (waited.event->reason.empty() ? std::string()
                                                                            : " (" + waited.event->reason + ")")));
}

}  // namespace dialkit
