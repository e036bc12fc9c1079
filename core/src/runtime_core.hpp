// The runtime behind the public handles (Runtime, Dialer): its backends, its live
// connections and watches, its executor and the runtime-wide signals. Connections and watches
// see it only through ConnectionHost (connection.hpp).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <dialkit/backend.hpp>
#include <dialkit/plugin_loader.hpp>
#include <dialkit/runtime.hpp>

#include "connection.hpp"
#include "dispatcher.hpp"
#include "signals.hpp"

namespace dialkit::detail {

class WatchCore;

class RuntimeCore final : public ConnectionHost, public std::enable_shared_from_this<RuntimeCore> {
 public:
  explicit RuntimeCore(RuntimeOptions opts);
  // Loads the plugins the options ask for.
  void start();
  // Teardown in DESIGN order: drop subscriptions, hang up own dials, stop backends, destroy them.
  void shutdown();

  // --- backends ---
  void add_backend(std::shared_ptr<BackendFactory> factory, std::string origin);
  // The live backend of this name, probed and made on first use.
  Result<std::shared_ptr<Backend>> backend(std::string_view name);
  [[nodiscard]] std::vector<BackendSummary> backends();
  [[nodiscard]] std::vector<PluginRefusal> refused_plugins() const;
  // The factory of a backend by name; none if there is no such backend.
  [[nodiscard]] std::shared_ptr<BackendFactory> factory(const std::string& name) const;

  // --- dials and watches ---
  Result<std::shared_ptr<ConnectionCore>> dial(const std::string& backend_name, std::string_view entry,
                                               DialOptions options, EventHandler handler,
                                               CompletionSlot on_complete);
  Result<std::shared_ptr<WatchCore>> watch(const std::string& backend_name, EventSlot slot);

  // --- runtime-wide signals ---
  Subscription subscribe_all(EventSlot slot);
  Subscription subscribe_diagnostics(DiagnosticSlot slot);
  [[nodiscard]] std::uint64_t illegal_transitions() const { return illegal_.load(); }

  // --- ConnectionHost ---
  Scheduler& scheduler() override { return *scheduler_; }
  [[nodiscard]] bool shut_down() const override { return shut_down_; }
  [[nodiscard]] bool delivers_inline() const override {
    return options_.delivery == RuntimeOptions::Delivery::inline_delivery;
  }
  void post(ConnectionId connection, std::function<void()> task) override;
  void deliver_to_all(const Event& e) override {
    if (all_event_slots_.load(std::memory_order_acquire) > 0) all_events_(e);
  }
  void emit_diagnostic_now(const Diagnostic& d) override { diagnostics_(d); }
  void count_illegal() override { ++illegal_; }
  std::shared_ptr<ConnectionCore> make_connection(std::string backend_name, std::string entry,
                                                  std::shared_ptr<Backend> backend, DialOptions options,
                                                  std::optional<std::string> watched_as) override;
  void forget(ConnectionId id) override;

 private:
  // One registered backend. Its factory is probed and its backend made under its own lock,
  // never under the runtime's: a probe may be a D-Bus round trip, and the dials of other
  // backends do not wait behind it.
  struct BackendSlot {
    BackendSlot(std::shared_ptr<BackendFactory> f, std::string o) : factory(std::move(f)), origin(std::move(o)) {}
    const std::shared_ptr<BackendFactory> factory;
    const std::string origin;
    // Serializes the calls into the factory (probe, create): one backend per slot. Taken
    // before mutex_, never while holding it.
    std::mutex making;
    // Guarded by RuntimeCore::mutex_.
    std::shared_ptr<Backend> live;
    std::optional<std::string> failed;  // why it cannot go on (BackendContext::failed)
  };

  // What a backend of this name is probed and created with.
  BackendContext context_for(const std::string& name);
  // The slot of this name with its backend made (probed and created on first use).
  Result<std::shared_ptr<BackendSlot>> ready_slot(std::string_view name);
  // Whether this dial may go ahead on this backend, before anything is dialled (DESIGN.md
  // section 3: options are honoured or refused, never ignored); settles the options' defaults.
  Result<void> validate_dial(const std::string& backend_name, const BackendFactory& factory,
                             DialOptions& options);
  void report_slow_slot(ConnectionId connection, std::chrono::milliseconds ran, unsigned threads, bool at_limit);
  void post_diagnostic(Diagnostic d);
  // BackendContext::failed: ends the backend's connections and refuses further dials.
  void backend_failed(const std::string& name, const std::string& what);

  const RuntimeOptions options_;
  std::shared_ptr<Scheduler> scheduler_;
  std::shared_ptr<RealTimeScheduler> owned_scheduler_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::atomic<bool> shut_down_{false};
  std::atomic<std::uint64_t> illegal_{0};
  std::atomic<ConnectionId> next_id_{1};

  mutable std::mutex mutex_;
  std::vector<std::string> order_;  // backend names in registration order
  std::unordered_map<std::string, std::shared_ptr<BackendSlot>> backends_;
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

}  // namespace dialkit::detail
