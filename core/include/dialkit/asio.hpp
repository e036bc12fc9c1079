/// @file
/// The Asio adapter: dial and wait with any Boost.Asio completion token (`use_awaitable`,
/// `use_future`, a callback). Header-only; it includes Boost.Asio (link Boost::headers beside
/// dialkit::core), which runtime.hpp never does. The Boost is the program's own, 1.74 or later:
/// dialkit's libraries export no Boost symbol (ELF platforms), so it need not be the version
/// dialkit was built with.
///
///   boost::asio::io_context io;
///   dialkit::Runtime runtime(dialkit::asio::runtime_options(io.get_executor()));
///   auto dialer = runtime.dialer("mock");
///   // in a coroutine on io:
///   auto connection = co_await dialkit::asio::async_dial(*dialer, "success", {}, boost::asio::use_awaitable);
///
/// Events reach slots through RuntimeOptions::executor (runtime_options() posts them to the
/// executor you give); a completion handler runs on its own associated executor (the
/// coroutine's, for use_awaitable), or, when it has none, where the deciding event was
/// delivered. An operation keeps its handler's executor busy (outstanding work) until it
/// completes, so `io.run()` does not return while a dial is pending.
///
/// Cancellation (Boost 1.77 or later in the including translation unit, where
/// DIALKIT_ASIO_CANCELLATION is 1): both operations honour the handler's associated
/// cancellation slot (co_spawn with bind_cancellation_slot; bind_cancellation_slot on a
/// callback). async_dial cancelled with `terminal` or `partial` before it completed hangs the
/// dial up (it ends `disconnected`, "local hang-up") and completes with Errc::cancelled, as a
/// rule after that `disconnected` was delivered (the dial's end decides); after it completed
/// (connected), a cancellation changes nothing. `total` is not honoured by a dial: it has had
/// effects from its first step. async_wait_for cancelled with any type completes with
/// WaitStatus::aborted and leaves the connection alone. Each completes once, also when the
/// cancellation races its own end, and clears the slot on the handler's executor before the
/// handler runs; emit the signal there too (Asio: a slot is used from one thread at a time).
/// With an older Boost there are no slots: hang up from `on_event` instead.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/version.hpp>

/// 1 when the translation unit's Boost has per-operation cancellation slots (1.77 and later):
/// async_dial and async_wait_for then honour the completion handler's cancellation slot.
#if BOOST_VERSION >= 107700
#define DIALKIT_ASIO_CANCELLATION 1
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/cancellation_type.hpp>
#else
#define DIALKIT_ASIO_CANCELLATION 0
#endif

#include <dialkit/runtime.hpp>

namespace dialkit::asio {

/// A delivery executor (RuntimeOptions::executor) that posts delivery tasks to `executor`.
/// Core still posts one task per connection at a time, so a multi-threaded io_context keeps
/// each connection's events ordered and never concurrent.
template <class AsioExecutor>
[[nodiscard]] Executor delivery_executor(AsioExecutor executor) {
  return [executor](std::function<void()> task) { boost::asio::post(executor, std::move(task)); };
}

/// `base` with events delivered on `executor` (Delivery::custom).
template <class AsioExecutor>
[[nodiscard]] RuntimeOptions runtime_options(AsioExecutor executor, RuntimeOptions base = {}) {
  base.delivery = RuntimeOptions::Delivery::custom;
  base.executor = delivery_executor(std::move(executor));
  return base;
}

namespace detail {

// One pending operation: completes its handler once, on the handler's associated executor, and
// keeps that executor's work count up until then. With cancellation slots, it also holds the
// handler's slot: cancel handlers go in there, and the slot is cleared on the handler's
// executor just before the handler runs (Asio requires an operation to clear its slot when it
// completes; the user emits on that executor too, so the two never run at once).
template <class Handler, class Value>
class Completion {
 public:
  explicit Completion(Handler handler)
      : handler_(std::move(handler)),
        work_(boost::asio::prefer(boost::asio::get_associated_executor(handler_),
                                  boost::asio::execution::outstanding_work.tracked))
#if DIALKIT_ASIO_CANCELLATION
        ,
        slot_(boost::asio::get_associated_cancellation_slot(handler_))
#endif
  {
  }

  // True for the one call that completes; later calls do nothing.
  bool complete(Value value) {
    if (done_.exchange(true, std::memory_order_acq_rel)) return false;
    auto executor = boost::asio::get_associated_executor(handler_);
#if DIALKIT_ASIO_CANCELLATION
    boost::asio::dispatch(executor, [handler = std::move(handler_), value = std::move(value), slot = slot_]() mutable {
      if (slot.is_connected()) slot.clear();
      std::move(handler)(std::move(value));
    });
#else
    boost::asio::dispatch(executor, [handler = std::move(handler_), value = std::move(value)]() mutable {
      std::move(handler)(std::move(value));
    });
#endif
    work_.reset();
    return true;
  }

#if DIALKIT_ASIO_CANCELLATION
  // Puts a cancellation handler calling op->cancel(type) in the handler's slot, if it has one.
  // It holds only a weak reference to the operation (no cycle through the slot) and touches
  // nothing of its own after that call: completing may clear the slot, destroying it.
  template <class Op>
  static void on_cancel(const std::shared_ptr<Op>& op) {
    auto slot = op->slot_;
    if (!slot.is_connected()) return;
    slot.assign([weak = std::weak_ptr<Op>(op)](boost::asio::cancellation_type type) {
      if (auto alive = weak.lock()) alive->cancel(type);
    });
  }
#endif

 private:
  using WorkExecutor = std::decay_t<decltype(boost::asio::prefer(
      boost::asio::get_associated_executor(std::declval<Handler&>()), boost::asio::execution::outstanding_work.tracked))>;
  Handler handler_;
  std::optional<WorkExecutor> work_;
#if DIALKIT_ASIO_CANCELLATION
  boost::asio::cancellation_slot slot_;
#endif
  std::atomic<bool> done_{false};
};

// A dial: decided once, either by the dial's own end (the completion callback: connected, or
// the error it ended with) or by a cancellation that came first, which hangs the dial up and
// completes with Errc::cancelled when the dial's end arrives. One mutex orders the two, so a
// dial decided as connected is never hung up by a late cancellation.
template <class Handler>
class DialOp : public Completion<Handler, Result<Connection>> {
 public:
  using Completion<Handler, Result<Connection>>::Completion;

  // dial() returned: the connection a cancellation hangs up (at once if one came meanwhile).
  void started(Connection connection) {
    {
      std::lock_guard lock(mutex_);
      if (phase_ == Phase::pending) {
        connection_ = std::move(connection);
        return;
      }
      if (phase_ == Phase::decided) return;
    }
    (void)connection.hangup();  // cancelled while dial() ran
  }
  // The dial's completion callback, or dial()'s own failure (no connection).
  void finish(Result<Connection> outcome) {
    bool cancelled = false;
    {
      std::lock_guard lock(mutex_);
      if (phase_ == Phase::decided) return;
      cancelled = phase_ == Phase::cancelling;
      phase_ = Phase::decided;
      connection_.reset();  // the completion callback holds this operation: no cycle
    }
    if (cancelled) {
      outcome = fail(make_error(Errc::cancelled, "cancelled (Asio cancellation slot) before connected"));
    }
    this->complete(std::move(outcome));
  }

#if DIALKIT_ASIO_CANCELLATION
  // terminal and partial: the dial is hung up and ends `disconnected` (a well-known state);
  // total is not honoured, a dial that started has had effects (events, a line taken).
  void cancel(boost::asio::cancellation_type type) {
    using boost::asio::cancellation_type;
    if ((type & (cancellation_type::terminal | cancellation_type::partial)) == cancellation_type::none) return;
    std::optional<Connection> connection;
    {
      std::lock_guard lock(mutex_);
      if (phase_ != Phase::pending) return;
      phase_ = Phase::cancelling;
      connection = connection_;  // empty while dial() runs: started() hangs up then
    }
    if (connection) (void)connection->hangup();
  }
#endif

 private:
  enum class Phase : std::uint8_t { pending, cancelling, decided };
  std::mutex mutex_;
  Phase phase_ = Phase::pending;
  std::optional<Connection> connection_;
};

struct InitiateDial {
  template <class Handler>
  void operator()(Handler&& handler, Dialer dialer, std::string entry, DialOptions options,
                  EventHandler on_event) const {
    using Op = DialOp<std::decay_t<Handler>>;
    auto op = std::make_shared<Op>(std::forward<Handler>(handler));
#if DIALKIT_ASIO_CANCELLATION
    Op::on_cancel(op);
#endif
    auto dialed = dialer.dial(entry, std::move(options), std::move(on_event),
                              [op](Connection& c, const DialCompletion& done) {
                                if (done.outcome == DialOutcome::connected) {
                                  op->finish(Result<Connection>(c));
                                } else if (done.error) {
                                  op->finish(Result<Connection>(fail(*done.error)));
                                } else {
                                  op->finish(Result<Connection>(
                                      fail(make_error(Errc::cancelled, "hung up before connected"))));
                                }
                              });
    if (!dialed) {
      op->finish(Result<Connection>(fail(dialed.error())));
      return;
    }
    op->started(*dialed);
  }
};

// A wait and the subscription that feeds it; the subscription goes with the completion.
template <class Handler>
class WaitOp : public Completion<Handler, WaitResult> {
 public:
  using Completion<Handler, WaitResult>::Completion;

  void finish(WaitResult result) {
    if (!this->complete(std::move(result))) return;
    Subscription feed;
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
      feed = std::move(feed_);
    }
    feed.disconnect();  // safe from inside the slot itself
  }
  // The subscription subscribe() returned, unless the wait finished meanwhile.
  void keep(Subscription feed) {
    {
      std::lock_guard lock(mutex_);
      if (!finished_) {
        feed_ = std::move(feed);
        return;
      }
    }
    feed.disconnect();
  }

#if DIALKIT_ASIO_CANCELLATION
  // Every type (terminal, partial, total): giving up a wait changes nothing but the wait.
  void cancel(boost::asio::cancellation_type type) {
    if (type == boost::asio::cancellation_type::none) return;
    finish(WaitResult{WaitStatus::aborted, std::nullopt});
  }
#endif

 private:
  std::mutex mutex_;
  bool finished_ = false;
  Subscription feed_;
};

struct InitiateWait {
  template <class Handler>
  void operator()(Handler&& handler, Connection connection, State state) const {
    using Op = WaitOp<std::decay_t<Handler>>;
    auto op = std::make_shared<Op>(std::forward<Handler>(handler));
#if DIALKIT_ASIO_CANCELLATION
    Op::on_cancel(op);
#endif
    op->keep(connection.subscribe(
        [op, state](const Event& e) {
          auto keep_alive = op;  // the slot (and its copy of op) may go with the subscription
          if (e.state == state) {
            keep_alive->finish(WaitResult{WaitStatus::satisfied, e});
          } else if (e.state == State::disconnected) {
            keep_alive->finish(WaitResult{WaitStatus::ended_first, e});
          }
        },
        true));
  }
};

}  // namespace detail

/// Dials `entry` and completes once, with `void(Result<Connection>)`: the Connection at
/// `connected`, or the error that ended the dial before it (Errc::timeout for
/// DialOptions::timeout, Errc::cancelled when it was hung up before `connected` without an
/// error). `on_event` gets every event first and may take the connection (ConnectionSlot): that
/// is where a pause is answered. To give up: cancel through the token's cancellation slot (Boost
/// >= 1.77, see the top of this file), or hang up from `on_event`; either way the operation
/// completes with Errc::cancelled, the one error of a dial hung up before `connected`.
template <class CompletionToken>
auto async_dial(Dialer dialer, std::string entry, DialOptions options, EventHandler on_event, CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(Result<Connection>)>(
      detail::InitiateDial{}, token, std::move(dialer), std::move(entry), std::move(options), std::move(on_event));
}

/// As above, without an event handler.
template <class CompletionToken>
auto async_dial(Dialer dialer, std::string entry, DialOptions options, CompletionToken&& token) {
  return async_dial(std::move(dialer), std::move(entry), std::move(options), EventHandler{},
                    std::forward<CompletionToken>(token));
}

/// Completes once, with `void(WaitResult)`, when an event in `state` is delivered (the
/// connection's latest event counts), or with WaitStatus::ended_first and the `disconnected`
/// when the connection ends first. No time limit: race it against a timer for one, or cancel
/// it (Boost >= 1.77): it then completes with WaitStatus::aborted and no event.
template <class CompletionToken>
auto async_wait_for(Connection connection, State state, CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(WaitResult)>(detail::InitiateWait{}, token,
                                                                        std::move(connection), state);
}

}  // namespace dialkit::asio
