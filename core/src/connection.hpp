// One connection: its life so far (life.hpp), its strand, its signal and its session; the
// dial / resume / hang-up / redial / timeout logic of DESIGN.md sections 2 and 3.
//
// How an event travels: a backend thread calls Reporter::report(); the connection validates
// and numbers it under its state lock and appends it to its queue; the first item in an empty
// queue posts one drain task to the runtime's executor; the drain delivers items one at a time
// until the queue is empty. So a connection's events are delivered in order, once, and never
// concurrently, on whatever executor the runtime has, and native threads never run slots
// (unless the caller chose inline delivery).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <dialkit/backend.hpp>
#include <dialkit/plugin_loader.hpp>
#include <dialkit/runtime.hpp>

#include "life.hpp"
#include "signals.hpp"

namespace dialkit::detail {

class ConnectionCore;

// What a call gets once its runtime has been shut down.
Error runtime_gone();

// What connections and watches need of their runtime, and all they see of it.
class ConnectionHost {
 public:
  virtual ~ConnectionHost() = default;
  // The runtime's clock: timeouts, redial waits and core's own deferred work.
  virtual Scheduler& scheduler() = 0;
  [[nodiscard]] virtual bool shut_down() const = 0;
  // Inline delivery: the reporting thread drains the strand itself.
  [[nodiscard]] virtual bool delivers_inline() const = 0;
  // Runs a delivery task for `connection` on the runtime's executor.
  virtual void post(ConnectionId connection, std::function<void()> task) = 0;
  // Runtime::on_event subscribers, and Runtime::on_diagnostic ones.
  virtual void deliver_to_all(const Event& e) = 0;
  virtual void emit_diagnostic_now(const Diagnostic& d) = 0;
  // Rule 4's count (Runtime::illegal_transitions).
  virtual void count_illegal() = 0;
  // A new connection the runtime keeps alive until its end is delivered; `watched_as`: the
  // backend's id of a connection a watch adopted.
  virtual std::shared_ptr<ConnectionCore> make_connection(std::string backend_name, std::string entry,
                                                          std::shared_ptr<Backend> backend, DialOptions options,
                                                          std::optional<std::string> watched_as) = 0;
  // The connection's end was delivered (or it was released): the runtime lets go of it.
  virtual void forget(ConnectionId id) = 0;
};

class ConnectionCore : public std::enable_shared_from_this<ConnectionCore> {
 public:
  ConnectionCore(std::shared_ptr<ConnectionHost> host, ConnectionId id, std::string backend_name,
                 std::string entry, std::shared_ptr<Backend> backend, DialOptions options,
                 std::optional<std::string> watched_as);

  [[nodiscard]] ConnectionId id() const noexcept { return id_; }
  [[nodiscard]] const std::string& backend_name() const noexcept { return backend_name_; }
  [[nodiscard]] const std::string& entry() const noexcept { return entry_; }
  // Observed through a watch, not started by this runtime: released at teardown, never hung up.
  [[nodiscard]] bool adopted() const noexcept { return adopted_; }

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
  // --- wait.cpp: handlers that take the connection, completion, waiting ---
  // Dialer::dial's handler and completion callback, subscribed before the first event.
  void attach(EventHandler handler, CompletionSlot on_complete);
  // Either slot shape as an EventSlot; a connection slot holds this connection weakly (a
  // slot held by the connection's own signal must not keep it alive).
  EventSlot bind(EventHandler handler);
  WaitResult wait_for(std::function<bool(const Event&)> predicate, std::chrono::milliseconds limit);
  bool ended() const;
  bool wait_until_ended(std::chrono::milliseconds limit) const;
  // dial() failed: nothing of this connection may happen any more (its timeout included).
  void abandon();
  void release_plugin_objects();
  void drop_subscriptions() { signal_.disconnect_all_slots(); }
  bool accepted_end() const;

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

  // What the connection knows besides its life, for decide() (state lock held).
  ReportContext report_context_locked(std::uint32_t attempt) const;
  void enqueue_locked(Item item, bool& post_drain);
  void post_drain();
  void drain();
  void deliver(Item& item);
  void slot_threw(std::string what);
  // Delivers a report that passed validation (state lock held); sets post_drain when the
  // strand needs a drain.
  void accept_locked(const NativeReport& r, bool& post_drain);
  void diagnose_locked(Diagnostic::Kind kind, const NativeReport& r, std::string message,
                       bool& post_drain);
  // Rule 4: an illegal transition is counted and diagnosed, never delivered.
  void reject_locked(const NativeReport& r, bool& post_drain);
  void cancel_tasks_locked();
  // Decides an end core reports (state lock held); false if one is decided already.
  bool decide_end_locked(std::optional<Error> error, std::string reason);
  void schedule_redial_locked(std::chrono::milliseconds delay);
  void time_out(std::chrono::milliseconds limit);
  // release_native: hang up the native side even of a watched connection (the user asked).
  void finish_end(bool release_native);
  std::shared_ptr<Session> current_session() const;
  // Guarded by control_mutex_: hangs the current session up, at most once per session.
  void hangup_session_control_locked();

  const std::shared_ptr<ConnectionHost> host_;
  const ConnectionId id_;
  const std::string backend_name_;
  const std::string entry_;
  const bool adopted_;
  const DialOptions options_;
  const std::string live_id_;  // for adopted connections: the backend's id

  std::shared_ptr<Backend> backend_;

  // Guarded by state_mutex_ (lock order: state_mutex_, then queue_mutex_).
  mutable std::mutex state_mutex_;
  LifeSoFar life_;
  std::uint64_t next_seq_ = 1;
  std::uint32_t attempt_ = 1;
  bool accepted_end_ = false;
  // An end has been decided (user hang-up, timeout, unhandled pause); end_ says how it is
  // reported, finishing_thread_ who carries it out.
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
  // The items being delivered: swapped with queue_, so both keep their capacity and an event
  // costs no allocation for its place in the queue.
  std::vector<Item> batch_;

  // Serializes dial, resume and hangup towards the session. Recursive: with inline
  // delivery a slot may hang up from inside the backend call that reported its event.
  std::recursive_mutex control_mutex_;
  // Guarded by control_mutex_: the current session was hung up (at most once per session).
  bool session_released_ = false;

  EventSignal signal_;
};

}  // namespace dialkit::detail
