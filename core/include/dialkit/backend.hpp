/// @file
/// The contract between core and a backend. A backend reads a native system (RAS, pppd,
/// NetworkManager, a scripted scenario) and reports what happens through a Reporter that core
/// gives it; core validates, numbers and delivers. Backends never call user code and never
/// emit signals. Each member says on which thread core calls it and whether it may block.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <dialkit/capabilities.hpp>
#include <dialkit/dial_types.hpp>
#include <dialkit/error.hpp>
#include <dialkit/event.hpp>
#include <dialkit/scheduler.hpp>
#include <dialkit/secret.hpp>
#include <dialkit/state.hpp>

/// Keeps a class's type information visible across the plugin boundary when the plugin is
/// built with hidden visibility (dialkit_add_plugin), so that a dynamic_cast or an exception
/// of that type works on both sides. What Boost's DIALKIT_SYMBOL_VISIBLE says, without making
/// every user of this header include Boost.
#if defined(__GNUC__) && !(defined(__clang__) && (defined(_WIN32) || defined(__CYGWIN__)))
#define DIALKIT_SYMBOL_VISIBLE __attribute__((__visibility__("default")))
#else
#define DIALKIT_SYMBOL_VISIBLE
#endif

namespace dialkit {

/// One report from a backend: the shared state it maps to and the native value behind it.
struct NativeReport {
  State state = State::opening_port;  ///<the shared state the native value maps to
  std::int64_t native_code = 0;  ///<the native value (RAS state, pppd phase, NM state)
  std::string native_name{};  ///<the native value's name
  std::optional<Error> error{};  ///<set on a `disconnected` (or `disconnecting`) that ends a failed dial
  std::string reason{};  ///<why a clean end happened, or other context
  std::optional<std::uint32_t> subentry{};  ///<the link of a multilink bundle a subentry_* report is about
};

/// Given by core to each dial attempt. Thread-safe; may be called from any backend thread,
/// also after the session ended (such late reports are dropped and reported on the
/// diagnostics signal). With the default dispatcher it never runs user code; with inline
/// delivery it runs subscribers on the calling thread, so a backend must not hold its own
/// locks while it reports (a slot may call resume() or hangup() right back).
class DIALKIT_SYMBOL_VISIBLE Reporter {
 public:
  virtual ~Reporter() = default;
  /// Reports one native event; see the class comment for threads.
  virtual void report(NativeReport report) = 0;
};

/// What core asks a backend to dial (one attempt of a Connection).
struct DialRequest {
  ConnectionId connection = 0;  ///<the connection this attempt belongs to
  std::uint32_t attempt = 1;  ///<1 for the first attempt, then 2, 3, ... for redials
  std::string entry;  ///<the entry to dial (Backend::entries())
  std::optional<Credentials> credentials;  ///<credentials from DialOptions, if any
  std::optional<std::string> phone_number;  ///<a phone number that overrides the entry's
  std::optional<std::string> callback_number;  ///<the callback number to give when the server asks
  /// When false, the backend may ask its platform not to pause (RAS without
  /// RDEOPT_PausedStates); if it still reports a paused state, core ends the dial with the
  /// matching error.
  bool handle_paused_states = false;
};

/// One dial attempt in a backend.
class DIALKIT_SYMBOL_VISIBLE Session {
 public:
  virtual ~Session() = default;
  /// Called by core, with the session's control lock held (never concurrently with hangup),
  /// only while the last reported state is paused and `input` is of the accepted kind.
  /// Must not block; the backend continues and reports the following states.
  virtual Result<void> resume(const ResumeInput& input) = 0;
  /// Called by core with the control lock held, from any thread (also from inside a
  /// subscriber's slot). Blocks until the backend has released the native connection; may
  /// report `disconnecting` meanwhile, and `disconnected` with the native code for it (RAS
  /// 0x2001, pppd PHASE_DEAD). Core delivers the final `disconnected` itself once hangup()
  /// returned, with the hang-up's reason (or error) and that native code (or the last one
  /// reported, if the backend reported none). Called at most once per session. It may wait
  /// for the backend's own threads: a slot running on one of them (inline delivery) that calls
  /// hangup() or resume() meanwhile returns at once instead of waiting.
  virtual void hangup() = 0;
  /// Any thread, concurrently with everything else; must not block for long.
  [[nodiscard]] virtual SessionStatus status() const = 0;
};


/// Where a backend reports connections it observes but did not start (watch).
class DIALKIT_SYMBOL_VISIBLE WatchSink {
 public:
  virtual ~WatchSink() = default;
  /// `id` names the native connection; the first report for an id adopts it.
  virtual void report(const std::string& id, const std::string& entry, NativeReport report) = 0;
};

/// Stops a watch when destroyed (joins the backend's watch thread, if any).
class DIALKIT_SYMBOL_VISIBLE WatchHandle {
 public:
  virtual ~WatchHandle() = default;
};

/// Tells core that a backend cannot go on (`what` says why, for people; no secrets): every
/// connection of that backend not yet ended ends `disconnected` with Errc::backend_failed and
/// `what` in its detail, and a backend_error diagnostic says so. Any thread, also the
/// backend's own and from inside a scheduler task; it returns at once (the ending runs on
/// core's side). Empty in a context a backend builds for itself: then it does nothing.
using BackendFailure = std::function<void(const std::string& what)>;

/// Given to a backend when it is created.
struct BackendContext {
  /// The runtime's clock: every delay of the backend goes through it. An exception that
  /// escapes one of its tasks does not end the process: it is caught and handed to `failed`.
  std::shared_ptr<Scheduler> scheduler;
  /// Backend-specific settings (RuntimeOptions::backend_options[name]), e.g. the mock's
  /// scenario directories or pppd's peers directory.
  std::map<std::string, std::string> options;
  BackendFailure failed;  ///<see BackendFailure
};

/// A backend's own thread (a D-Bus loop, a reader): runs `body`; an exception that escapes it
/// is caught and handed to `failed` (with `name` and the exception's text) instead of ending
/// the process through std::terminate. Joins when destroyed (or by join()); destroyed on its own
/// thread (inside `body`), it lets the thread go to end by itself. Move-only.
class BackendThread {
 public:
  BackendThread() = default;  ///<no thread
  /// Starts a thread that runs `body`; `name` says which thread in a failure's text.
  BackendThread(BackendFailure failed, std::string name, std::function<void()> body);
  BackendThread(BackendThread&&) noexcept = default;  ///<takes the thread
  BackendThread& operator=(BackendThread&& other) noexcept;  ///<joins the old thread first
  ~BackendThread();  ///<joins
  BackendThread(const BackendThread&) = delete;
  BackendThread& operator=(const BackendThread&) = delete;

  [[nodiscard]] bool joinable() const noexcept { return thread_.joinable(); }  ///<a thread to join
  [[nodiscard]] std::thread::id get_id() const noexcept { return thread_.get_id(); }  ///<its id
  void join();  ///<waits for the body to return (not from the thread itself)
  /// Lets the thread end by itself: for an owner destroyed on its own thread (the thread holds
  /// the last reference to it), which cannot join itself.
  void detach() { thread_.detach(); }

 private:
  std::thread thread_;
};

/// Runs `body`; an exception that escapes it is handed to `failed` as "NAME threw: TEXT" (and
/// swallowed). What BackendThread and core's guarded scheduler use; a backend may use it for
/// callbacks a library runs on threads of its own.
void run_guarded(const BackendFailure& failed, std::string_view name, const std::function<void()>& body) noexcept;

/// A live backend, made by its BackendFactory; core calls it from any thread.
class DIALKIT_SYMBOL_VISIBLE Backend {
 public:
  virtual ~Backend() = default;
  /// Any thread; may block briefly (reads a phone book, asks a daemon).
  virtual Result<std::vector<Entry>> entries() = 0;
  /// Any thread; must return promptly: the dial proceeds on the backend's own threads or
  /// scheduler tasks and is reported through `reporter`. A failure to start returns an error
  /// (no events are reported then).
  virtual Result<std::unique_ptr<Session>> dial(const DialRequest& request,
                                                std::shared_ptr<Reporter> reporter) = 0;
  /// Live connections of the whole system where the platform shows them, including those
  /// this process did not start.
  virtual Result<std::vector<LiveConnection>> live_connections() = 0;
  /// Hangs up a live connection by its backend id (one this process may not have started).
  virtual Result<void> hangup_live(std::string_view id) {
    (void)id;
    return fail(make_error(Errc::not_supported, "this backend cannot hang up by id"));
  }
  /// Reports connections this process did not start, until the handle is destroyed.
  virtual Result<std::unique_ptr<WatchHandle>> watch(std::shared_ptr<WatchSink> sink) {
    (void)sink;
    return fail(make_error(Errc::not_supported, "this backend cannot watch other connections"));
  }
  /// entries() and what it left out (SkippedEntry: a file it could not read or parse). Any
  /// thread; may block briefly. A backend that skips nothing need not override it: the
  /// default gives entries() and an empty `skipped`. Since plugin ABI 5.
  virtual Result<EntryListing> list_entries() {
    auto listed = entries();
    if (!listed) return fail(listed.error());
    return EntryListing{std::move(*listed), {}};
  }
  /// Called once before destruction, after every session was hung up: stop backend threads
  /// and cancel scheduler tasks, so no backend code runs after it returns.
  virtual void shutdown() {}
};

/// A cheap factory, split from the live backend (name, is it usable here, create).
class DIALKIT_SYMBOL_VISIBLE BackendFactory {
 public:
  virtual ~BackendFactory() = default;
  [[nodiscard]] virtual std::string name() const = 0;  ///<the backend's name, as users pass it to Runtime::dialer()
  [[nodiscard]] virtual std::string description() const = 0;  ///<a line for people
  /// A fake backend (the mock) is used only when asked for by name.
  [[nodiscard]] virtual bool is_fake() const { return false; }
  /// What the backend can do (DESIGN.md section 7), without dialling or probing: cheap, no
  /// side effects, the same answer every time. Core refuses a dial option it does not declare
  /// with Errc::not_supported before anything reaches the backend; a backend may still refuse
  /// a declared option for one entry that cannot honour it (the same error, naming the entry).
  /// A plugin's is read once, when it loads.
  [[nodiscard]] virtual Capabilities capabilities() const = 0;
  /// Is the platform there (daemon reachable, binary installed)? Cheap; no side effects.
  [[nodiscard]] virtual Result<void> probe() const = 0;
  /// The same check with the backend's settings (RuntimeOptions::backend_options[name], e.g.
  /// NetworkManager's `bus_address`). Core calls this one; the default calls probe().
  [[nodiscard]] virtual Result<void> probe_with(const BackendContext& context) const {
    (void)context;
    return probe();
  }
  /// Makes the live backend; called once, on first use.
  virtual Result<std::unique_ptr<Backend>> create(const BackendContext& context) = 0;
};

}  // namespace dialkit
