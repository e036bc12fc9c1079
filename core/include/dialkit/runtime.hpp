/// @file
/// The dialer API (DESIGN.md section 3). A Runtime loads backends (plugins, or factories
/// registered in-process), owns the dispatcher that delivers events and the scheduler that
/// keeps time. A Dialer dials one backend; a Connection is one dial, from the first state to
/// `disconnected`.
///
///   dialkit::Runtime runtime;
///   auto dialer = runtime.dialer("mock");
///   auto connection = dialer->dial("success", {}, [](const dialkit::Event& e) { ... });
///   (void)connection->hangup();  // a Result: [[nodiscard]]
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <dialkit/capabilities.hpp>
#include <dialkit/dial_types.hpp>
#include <dialkit/error.hpp>
#include <dialkit/event.hpp>
#include <dialkit/plugin_search.hpp>
#include <dialkit/redial.hpp>
#include <dialkit/scheduler.hpp>
#include <dialkit/secret.hpp>

namespace dialkit {

// The backend side (backend.hpp, included by whoever writes or adds a backend): a program
// that only dials never sees more of it than this name.
class BackendFactory;

namespace detail {
class RuntimeCore;
class ConnectionCore;
class WatchCore;
}  // namespace detail

/// Runs delivery tasks. Core posts one task per connection at a time (a strand), so however
/// many threads an executor has, one connection's events stay ordered and never concurrent.
using Executor = std::function<void(std::function<void()>)>;

/// How a Runtime is set up.
struct RuntimeOptions {
  /// Load plugins at construction (DIALKIT_PLUGIN_PATH and friends, see PluginSearchOptions).
  bool load_plugins = true;
  PluginSearchOptions plugins;  ///<where to look for plugins
  /// How events reach subscribers. dispatcher_thread: one thread owned by the runtime (native
  /// threads never call user code). inline_delivery: on the thread that reported the event
  /// (with a virtual scheduler: the test's thread). custom: `executor` below.
  enum class Delivery : std::uint8_t { dispatcher_thread, inline_delivery, custom };
  Delivery delivery = Delivery::dispatcher_thread;  ///<how events reach subscribers
  Executor executor;  ///<runs delivery tasks when `delivery` is custom
  /// dispatcher_thread only: a slot (event or diagnostic subscriber) that has run this long is
  /// reported on the diagnostics signal (Diagnostic::Kind::slow_slot), and when no dispatcher
  /// thread is free another one starts, so one blocked slot delays other connections' events
  /// by at most about this bound plus a quarter of it. The blocked connection's own events wait
  /// for its slot (they stay in order). Extra threads leave after a while without work.
  std::chrono::milliseconds slow_slot_after{200};
  /// dispatcher_thread only: at most this many dispatcher threads. When that many slots block
  /// at once, every connection's events wait until one returns (and a slow_slot diagnostic
  /// says so).
  unsigned max_dispatcher_threads = 8;
  /// The clock for backends and dial timeouts; a RealTimeScheduler when empty.
  std::shared_ptr<Scheduler> scheduler;
  /// Settings handed to each backend by name (BackendContext::options).
  std::map<std::string, std::map<std::string, std::string>> backend_options;
};

/** @var dialkit::RuntimeOptions::Delivery::dispatcher_thread
 *  One thread owned by the runtime delivers. */
/** @var dialkit::RuntimeOptions::Delivery::inline_delivery
 *  The reporting thread delivers. */
/** @var dialkit::RuntimeOptions::Delivery::custom
 *  RuntimeOptions::executor delivers. */

/// Options of one dial.
struct DialOptions {
  std::optional<Credentials> credentials;  ///<user name and password, if the entry needs them
  std::optional<std::string> phone_number;  ///<a phone number that overrides the entry's
  std::optional<std::string> callback_number;  ///<the callback number to give when the server asks
  /// Ends the dial with Errc::timeout (reason "timeout") unless it is connected in time
  /// (scheduler time). Armed before the backend can report anything and disarmed by the first
  /// `connected`, however fast: it never ends a connected dial.
  std::optional<std::chrono::milliseconds> timeout;
  /// Whether the caller resumes paused states; if not, a pause becomes `disconnected` with
  /// the matching error (authentication_failed, password_expired, callback_required, ...).
  bool handle_paused_states = false;
  RedialPolicy redial;  ///<whether and how to redial a failed attempt
};

/// What RasGetConnectStatus answers, for any backend.
struct Status {
  State state = State::opening_port;  ///< opening_port until the backend's first report
  std::optional<Error> error;  ///<the error, once the dial failed
  std::int64_t native_code = 0;  ///<the last native value
  std::string native_name;  ///<its name
  std::string reason;  ///<why it ended, once it did
  std::uint32_t attempt = 1;  ///<the dial attempt
  SessionStatus device;  ///<device and addressing, from the backend

  [[nodiscard]] StateGroup group() const noexcept { return state_group(state); }  ///<the state's group
};

class Connection;

/// A subscriber that also receives the connection its event is about (DotRas's StateChanged
/// sender): it can resume() a pause or hangup() without capturing a handle that did not exist
/// yet when dial() subscribed it. The reference is valid during the call; copy it to keep it.
using ConnectionSlot = std::function<void(Connection&, const Event&)>;

/// What Dialer::dial() and Connection::subscribe() take: a slot of either shape,
/// `(const Event&)` or `(Connection&, const Event&)`, or nothing.
class EventHandler {
 public:
  EventHandler() = default;  ///<no slot
  EventHandler(std::nullptr_t) noexcept {}  ///<no slot
  /// A slot that takes the event.
  template <class F>
    requires std::is_invocable_v<F&, const Event&>
  EventHandler(F slot) : event_(std::move(slot)) {}  // NOLINT(google-explicit-constructor)
  /// A slot that takes the connection and the event.
  template <class F>
    requires(!std::is_invocable_v<F&, const Event&> && std::is_invocable_v<F&, Connection&, const Event&>)
  EventHandler(F slot) : with_connection_(std::move(slot)) {}  // NOLINT(google-explicit-constructor)

  explicit operator bool() const noexcept { return event_ || with_connection_; }  ///<holds a slot
  [[nodiscard]] EventSlot& event_slot() noexcept { return event_; }  ///<the `(const Event&)` slot, if that shape
  [[nodiscard]] ConnectionSlot& connection_slot() noexcept { return with_connection_; }  ///<the other shape

 private:
  EventSlot event_;
  ConnectionSlot with_connection_;
};

/// How a dial ended up, as the completion callback (Dialer::dial's `on_complete`) says once.
enum class DialOutcome : std::uint8_t {
  connected,  ///< `connected` was delivered
  timed_out,  ///< DialOptions::timeout ended the dial (Errc::timeout)
  cancelled,  ///< hung up before `connected` (Connection::hangup, or Errc::cancelled)
  failed,     ///< ended before `connected` with another error
};
/// The stable name of an outcome ("timed_out").
[[nodiscard]] std::string_view dial_outcome_name(DialOutcome) noexcept;

/// What the completion callback receives.
struct DialCompletion {
  DialOutcome outcome = DialOutcome::failed;  ///<how the dial ended up
  /// failed and timed_out: the dial's error; cancelled: the error if the end carried one.
  std::optional<Error> error;
  Event event;  ///<the `connected` or `disconnected` that decided it
};
/// A one-shot completion callback (DotRas's DialCompleted): called once, on the connection's
/// delivery strand, after the handler got the deciding event.
using CompletionSlot = std::function<void(Connection&, const DialCompletion&)>;

/// Why Connection::wait_for() returned.
enum class WaitStatus : std::uint8_t {
  satisfied,    ///< an event matched; WaitResult::event is it
  ended_first,  ///< `disconnected` came without matching; WaitResult::event is it
  timed_out,    ///< the time was up first; no event
  aborted,      ///< given up by its caller (dialkit::asio::async_wait_for cancelled); no event
};
/// The stable name of a wait status ("ended_first").
[[nodiscard]] std::string_view wait_status_name(WaitStatus) noexcept;

/// What Connection::wait_for() returns: the event that satisfied it, or why not.
struct WaitResult {
  WaitStatus status = WaitStatus::timed_out;  ///<why the wait returned
  std::optional<Event> event;  ///<satisfied: the matching event; ended_first: the final `disconnected`
  explicit operator bool() const noexcept { return status == WaitStatus::satisfied; }  ///<satisfied
};

/// A slot's link to the bus; disconnects when destroyed (like scoped_connection).
class Subscription {
 public:
  Subscription() = default;  ///<connected to nothing
  explicit Subscription(std::function<void()> disconnect);  ///<runs `disconnect` once, when disconnected or destroyed
  Subscription(Subscription&&) noexcept;  ///<takes over the link
  Subscription& operator=(Subscription&&) noexcept;  ///<disconnects this one, takes over the other's
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription();
  /// Safe from inside any slot, also the subscriber's own; idempotent. A call of the slot
  /// already running (or just starting) on another thread is not waited for.
  void disconnect();
  /// Keeps the slot connected after this object is gone.
  void release() noexcept;

 private:
  std::function<void()> disconnect_;
};

/// One dial, from its first state to `disconnected` (a RAS connection handle).
class Connection {
 public:
  [[nodiscard]] ConnectionId id() const noexcept;  ///<the connection's id within its runtime
  [[nodiscard]] const std::string& backend() const noexcept;  ///<the backend's name
  [[nodiscard]] const std::string& entry() const noexcept;  ///<the entry dialled
  /// At any time, from any thread.
  [[nodiscard]] Status status() const;
  /// In a paused state: continue with the input it accepts. The wrong kind of input, or no
  /// paused state, is Errc::invalid_state / invalid_argument; nothing changes then.
  [[nodiscard]] Result<void> resume(ResumeInput input);
  /// In every state, from any thread, also from inside a slot, any number of times. Returns
  /// after the backend released the connection; the last event is then `disconnected` with
  /// reason "local hang-up" (unless the connection had already ended).
  [[nodiscard]] Result<void> hangup();
  /// Adds a subscriber. With `current_state_first`, the subscriber first gets the latest
  /// delivered event (marked `replayed`), then every later one: nothing is missed, the end
  /// included (a subscriber added after `disconnected` was reported gets it, once).
  /// The slot may take the connection too (ConnectionSlot).
  Subscription subscribe(EventHandler slot, bool current_state_first = true);
  /// True once `disconnected` was delivered to subscribers.
  [[nodiscard]] bool ended() const;
  /// Blocks until `disconnected` was delivered or the time is up; true if it was. Real-time
  /// use only: with a virtual scheduler, run the scheduler instead.
  bool wait_until_ended(std::chrono::milliseconds limit) const;
  /// Blocks until an event in `state` is delivered (the latest one counts: waiting for a state
  /// the connection is in returns at once), `disconnected` comes first, or `limit` passes on
  /// the runtime's clock. With a VirtualScheduler it runs the scheduler's tasks on this
  /// thread meanwhile (use it from the thread that runs the scheduler, with inline delivery).
  /// Never from inside a slot of this connection: its events wait for that slot.
  [[nodiscard]] WaitResult wait_for(State state, std::chrono::milliseconds limit) const;
  /// As above, until `predicate` holds for a delivered event.
  [[nodiscard]] WaitResult wait_for(std::function<bool(const Event&)> predicate,
                                    std::chrono::milliseconds limit) const;

  explicit Connection(std::shared_ptr<detail::ConnectionCore> core);  ///<made by Dialer::dial()

 private:
  std::shared_ptr<detail::ConnectionCore> core_;
};

/// Keeps a watch running until destroyed. Stopping it releases the connections it reported
/// (no more events) and hangs none of them up: they belong to whoever started them.
class Watch {
 public:
  Watch() = default;  ///<watches nothing
  explicit Watch(std::shared_ptr<detail::WatchCore> core);  ///<made by Dialer::watch()
  Watch(Watch&&) noexcept;  ///<takes over the watch
  Watch& operator=(Watch&&) noexcept;  ///<stops this one, takes over the other's
  ~Watch();
  void stop();  ///<stops the watch; idempotent

 private:
  std::shared_ptr<detail::WatchCore> core_;
};

/// Dials one backend: made by Runtime::dialer().
class Dialer {
 public:
  [[nodiscard]] const std::string& backend_name() const noexcept;  ///<the backend's name
  /// Returns at once; `handler` (may be empty; either slot shape) is subscribed before the
  /// first event. `on_complete` (may be empty) is called once, when the dial is `connected` or
  /// ended before that (DialOutcome); not when dial() itself fails (its Result says why).
  [[nodiscard]] Result<Connection> dial(std::string_view entry, DialOptions options = {},
                                        EventHandler handler = {}, CompletionSlot on_complete = {});
  /// rasdial's shape: dials and blocks until `connected` (the Connection) or the end (its
  /// error; Errc::cancelled when hung up without one). `timeout` becomes the dial's
  /// DialOptions::timeout (the shorter one wins), so a dial that runs out of time is hung up
  /// and fails with Errc::timeout: nothing is left running. `handler` may answer pauses.
  /// With a VirtualScheduler it runs the scheduler on this thread, as Connection::wait_for().
  [[nodiscard]] Result<Connection> dial_and_wait(std::string_view entry, DialOptions options,
                                                 std::chrono::milliseconds timeout, EventHandler handler = {});
  /// The entries the backend can dial.
  [[nodiscard]] Result<std::vector<Entry>> entries() const;
  /// The entries, and what the backend left out of them and why (a file it could not parse).
  [[nodiscard]] Result<EntryListing> list_entries() const;
  /// The backend's live connections, including ones this process did not start.
  [[nodiscard]] Result<std::vector<LiveConnection>> connections() const;
  /// Hangs up a live connection by the id connections() gave.
  [[nodiscard]] Result<void> hangup(std::string_view live_id);
  /// Reports the events of connections this process did not start, each as a connection of
  /// its own (own id and sequence), to `slot`. Watching changes nothing it watches: only
  /// hangup(id) ends such a connection.
  [[nodiscard]] Result<Watch> watch(EventSlot slot);

  Dialer(std::shared_ptr<detail::RuntimeCore> runtime, std::string backend);  ///<made by Runtime::dialer()

 private:
  std::shared_ptr<detail::RuntimeCore> runtime_;
  std::string backend_;
};

/// A backend the runtime knows, as Runtime::backends() lists it.
struct BackendSummary {
  std::string name;  ///<the backend's name
  std::string description;  ///<a line for people
  std::string path;  ///< the plugin file, or "(built in)" for in-process factories
  bool is_fake = false;  ///<a fake (the mock) is used only when asked for by name
  std::optional<Error> unusable;  ///< why probe() failed, if it did
  Capabilities capabilities;  ///<what it declares it can do (DESIGN.md section 7)
};

/// The dialer runtime: backends, the dispatcher that delivers events, the clock.
class Runtime {
 public:
  /// Loads plugins (unless told not to) and starts the dispatcher.
  explicit Runtime(RuntimeOptions options = {});
  /// Teardown order: drop subscriptions (no slot runs during destruction), hang up the
  /// dials this runtime started that are still live (connections it only watched are
  /// released, never hung up), stop backend threads, destroy backends, then release plugin
  /// libraries. A dial whose Connection handle was dropped keeps running until it ends or
  /// the runtime is destroyed.
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// In-process registration (static plugins, a test's own backend); replaces a plugin of the
  /// same name.
  void add_backend(std::shared_ptr<BackendFactory> factory, std::string origin = "(built in)");
  /// Loads plugins from one more file (the same checks as the search).
  [[nodiscard]] Result<void> load_plugin_file(const std::filesystem::path& file, bool allow_insecure = false);

  /// The backends known, loaded or added, usable or not.
  [[nodiscard]] std::vector<BackendSummary> backends() const;
  /// The plugin files refused, and why.
  [[nodiscard]] std::vector<PluginRefusal> refused_plugins() const;
  /// Would `backend` honour these dial options? Errc::not_supported naming the first option
  /// its capabilities do not include, and the backend; Dialer::dial() makes the same check
  /// first. Neither probes nor creates the backend; an unknown backend passes (dialer() says).
  [[nodiscard]] Result<void> check_dial_options(std::string_view backend, const DialOptions& options) const;

  /// The backend by name (created on first use).
  [[nodiscard]] Result<Dialer> dialer(std::string_view backend);
  /// The first usable backend that is not a fake; Errc::backend_unavailable if none.
  [[nodiscard]] Result<Dialer> default_dialer();

  /// Every event of every connection of this runtime (dialed or watched).
  Subscription on_event(EventSlot slot);
  /// Subscribes to the diagnostics signal (what core did not deliver, and why).
  Subscription on_diagnostic(DiagnosticSlot slot);
  /// How many illegal transitions backends reported (DESIGN.md rule 4).
  [[nodiscard]] std::uint64_t illegal_transitions() const;

  /// The runtime's clock.
  [[nodiscard]] Scheduler& scheduler();

 private:
  std::shared_ptr<detail::RuntimeCore> core_;
};

}  // namespace dialkit
