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
#pragma once

#include <atomic>
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
// keeps that executor's work count up until then.
template <class Handler, class Value>
class Completion {
 public:
  explicit Completion(Handler handler)
      : handler_(std::move(handler)),
        work_(boost::asio::prefer(boost::asio::get_associated_executor(handler_),
                                  boost::asio::execution::outstanding_work.tracked)) {}

  // True for the one call that completes; later calls do nothing.
  bool complete(Value value) {
    if (done_.exchange(true, std::memory_order_acq_rel)) return false;
    auto executor = boost::asio::get_associated_executor(handler_);
    boost::asio::dispatch(executor, [handler = std::move(handler_), value = std::move(value)]() mutable {
      std::move(handler)(std::move(value));
    });
    work_.reset();
    return true;
  }

 private:
  using WorkExecutor = std::decay_t<decltype(boost::asio::prefer(
      boost::asio::get_associated_executor(std::declval<Handler&>()), boost::asio::execution::outstanding_work.tracked))>;
  Handler handler_;
  std::optional<WorkExecutor> work_;
  std::atomic<bool> done_{false};
};

struct InitiateDial {
  template <class Handler>
  void operator()(Handler&& handler, Dialer dialer, std::string entry, DialOptions options,
                  EventHandler on_event) const {
    auto op = std::make_shared<Completion<std::decay_t<Handler>, Result<Connection>>>(std::forward<Handler>(handler));
    auto dialed = dialer.dial(entry, std::move(options), std::move(on_event),
                              [op](Connection& c, const DialCompletion& done) {
                                if (done.outcome == DialOutcome::connected) {
                                  op->complete(Result<Connection>(c));
                                } else if (done.error) {
                                  op->complete(Result<Connection>(fail(*done.error)));
                                } else {
                                  op->complete(Result<Connection>(
                                      fail(make_error(Errc::cancelled, "hung up before connected"))));
                                }
                              });
    if (!dialed) op->complete(Result<Connection>(fail(dialed.error())));
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

 private:
  std::mutex mutex_;
  bool finished_ = false;
  Subscription feed_;
};

struct InitiateWait {
  template <class Handler>
  void operator()(Handler&& handler, Connection connection, State state) const {
    auto op = std::make_shared<WaitOp<std::decay_t<Handler>>>(std::forward<Handler>(handler));
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
/// DialOptions::timeout, Errc::cancelled when it was hung up without an error). `on_event`
/// gets every event first and may take the connection (ConnectionSlot): that is where a pause
/// is answered, and where a caller that wants to give up hangs up (the operation then
/// completes with Errc::cancelled).
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
/// when the connection ends first. No time limit: race it against a timer for one.
template <class CompletionToken>
auto async_wait_for(Connection connection, State state, CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(WaitResult)>(detail::InitiateWait{}, token,
                                                                        std::move(connection), state);
}

}  // namespace dialkit::asio
