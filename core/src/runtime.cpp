// The runtime (runtime_core.hpp) and the public handles over it: Runtime, Dialer, Connection,
// Watch, Subscription. The parts live beside it: the dispatcher (dispatcher.cpp), one
// connection (connection.cpp, its rules in life.hpp) and a watch (watch.cpp).
#include <dialkit/runtime.hpp>

#include <dialkit/backend.hpp>
#include <dialkit/plugin_loader.hpp>

#include "capabilities_internal.hpp"
#include "guarded_scheduler.hpp"
#include "runtime_core.hpp"
#include "watch.hpp"

namespace dialkit {
namespace detail {

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
    backends_.emplace(name, std::make_shared<BackendSlot>(std::move(p.factory), p.path.string()));
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

void RuntimeCore::backend_failed(const std::string& name, const std::string& what) {
  std::vector<std::weak_ptr<ConnectionCore>> victims;
  {
    std::lock_guard lock(mutex_);
    if (shut_down_) return;
    if (auto it = backends_.find(name); it != backends_.end() && !it->second->failed) it->second->failed = what;
    for (auto& [id, c] : live_)
      if (c->backend_name() == name) victims.push_back(c);
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
    if (auto it = live_.find(connection); it != live_.end()) d.backend = it->second->backend_name();
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

BackendContext RuntimeCore::context_for(const std::string& name) {
  BackendContext ctx;
  ctx.failed = [weak = weak_from_this(), name](const std::string& what) {
    if (auto rt = weak.lock()) rt->backend_failed(name, what);
  };
  // The backend's scheduler is the runtime's, guarded: a task that throws fails the backend
  // (backend_failed) instead of ending the process.
  ctx.scheduler = std::make_shared<GuardedScheduler>(scheduler_, ctx.failed, name);
  if (auto o = options_.backend_options.find(name); o != options_.backend_options.end()) ctx.options = o->second;
  return ctx;
}

void RuntimeCore::add_backend(std::shared_ptr<BackendFactory> factory, std::string origin) {
  auto name = factory->name();
  auto slot = std::make_shared<BackendSlot>(std::move(factory), std::move(origin));
  std::lock_guard lock(mutex_);
  auto it = backends_.find(name);
  if (it == backends_.end()) {
    order_.push_back(name);
    backends_.emplace(name, std::move(slot));
  } else {
    it->second = std::move(slot);
  }
}

std::vector<BackendSummary> RuntimeCore::backends() {
  std::vector<std::pair<std::string, std::shared_ptr<BackendSlot>>> slots;
  {
    std::lock_guard lock(mutex_);
    for (const auto& name : order_) slots.emplace_back(name, backends_.at(name));
  }
  // Probed outside the runtime's lock (a probe may be a D-Bus round trip).
  std::vector<BackendSummary> out;
  for (auto& [name, slot] : slots) {
    BackendSummary s;
    s.name = name;
    s.description = slot->factory->description();
    s.path = slot->origin;
    s.is_fake = slot->factory->is_fake();
    std::lock_guard making(slot->making);
    if (auto probe = slot->factory->probe_with(context_for(name)); !probe) s.unusable = probe.error();
    s.capabilities = detail::declared_capabilities(*slot->factory, name).value_or(Capabilities{});
    out.push_back(std::move(s));
  }
  return out;
}

std::shared_ptr<BackendFactory> RuntimeCore::factory(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = backends_.find(name);
  return it == backends_.end() ? nullptr : it->second->factory;
}

std::vector<PluginRefusal> RuntimeCore::refused_plugins() const {
  std::lock_guard lock(mutex_);
  return refused_;
}

Result<std::shared_ptr<RuntimeCore::BackendSlot>> RuntimeCore::ready_slot(std::string_view name) {
  if (shut_down_) return fail(runtime_gone());
  const auto failed_earlier = [&](const std::string& why) {
    return make_error(Errc::backend_failed, "backend \"" + std::string(name) + "\" failed earlier: " + why);
  };
  std::shared_ptr<BackendSlot> slot;
  {
    std::lock_guard lock(mutex_);
    auto it = backends_.find(std::string(name));
    if (it == backends_.end()) {
      std::string known;
      for (const auto& n : order_) known += (known.empty() ? "" : ", ") + n;
      return fail(make_error(Errc::backend_unavailable,
                             "no backend named \"" + std::string(name) + "\" (loaded: " +
                                 (known.empty() ? "none" : known) + ")"));
    }
    slot = it->second;
    if (slot->failed) return fail(failed_earlier(*slot->failed));
    if (slot->live) return slot;
  }
  // Made under the slot's own lock: a dial of another backend goes on meanwhile, and a second
  // dial of this one waits for this backend instead of making another.
  std::lock_guard making(slot->making);
  {
    std::lock_guard lock(mutex_);
    if (slot->failed) return fail(failed_earlier(*slot->failed));
    if (slot->live) return slot;
  }
  const BackendContext ctx = context_for(std::string(name));
  if (auto probe = slot->factory->probe_with(ctx); !probe) {
    Error e = probe.error();
    if (e.code != Errc::backend_unavailable && e.code != Errc::permission_denied) e.code = Errc::backend_unavailable;
    e.detail = "backend \"" + std::string(name) + "\" is not usable here: " + e.detail;
    return fail(e);
  }
  auto created = slot->factory->create(ctx);
  if (!created) return fail(created.error());
  auto live = keep_loaded(std::move(*created), std::shared_ptr<void>(slot->factory));
  {
    std::lock_guard lock(mutex_);
    // shutdown() sets shut_down_ before it collects the live backends under this lock: a
    // backend stored here is either collected (and shut down) there or refused here.
    if (!shut_down_) {
      slot->live = std::move(live);
      return slot;
    }
  }
  live->shutdown();
  return fail(runtime_gone());
}

Result<std::shared_ptr<Backend>> RuntimeCore::backend(std::string_view name) {
  auto slot = ready_slot(name);
  if (!slot) return fail(slot.error());
  std::lock_guard lock(mutex_);
  return (*slot)->live;
}

std::shared_ptr<ConnectionCore> RuntimeCore::make_connection(std::string backend_name, std::string entry,
                                                             std::shared_ptr<Backend> backend, DialOptions options,
                                                             std::optional<std::string> watched_as) {
  auto c = std::make_shared<ConnectionCore>(shared_from_this(), next_id_.fetch_add(1), std::move(backend_name),
                                            std::move(entry), std::move(backend), std::move(options),
                                            std::move(watched_as));
  std::lock_guard lock(mutex_);
  if (!shut_down_) live_.emplace(c->id(), c);
  return c;
}

void RuntimeCore::forget(ConnectionId id) {
  std::shared_ptr<ConnectionCore> last_ref;  // destroyed outside the lock
  std::lock_guard lock(mutex_);
  if (auto it = live_.find(id); it != live_.end()) {
    last_ref = std::move(it->second);
    live_.erase(it);
  }
}

Result<void> RuntimeCore::validate_dial(const std::string& backend_name, const BackendFactory& factory,
                                        DialOptions& options) {
  (void)backend_name;
  (void)factory;
  if (options.redial.attempts == 0) options.redial.attempts = 1;
  return {};
}

Result<std::shared_ptr<ConnectionCore>> RuntimeCore::dial(const std::string& backend_name, std::string_view entry,
                                                          DialOptions options, EventHandler handler,
                                                          CompletionSlot on_complete) {
  // Options the backend does not declare are refused before it is probed or made (section 7).
  if (auto ok = detail::check_dial_options(factory(backend_name).get(), backend_name, options); !ok)
    return fail(ok.error());
  auto slot = ready_slot(backend_name);
  if (!slot) return fail(slot.error());
  if (auto valid = validate_dial(backend_name, *(*slot)->factory, options); !valid) return fail(valid.error());
  std::shared_ptr<Backend> b;
  {
    std::lock_guard lock(mutex_);
    b = (*slot)->live;
  }
  const auto timeout = options.timeout;
  auto c = make_connection(backend_name, std::string(entry), std::move(b), std::move(options), std::nullopt);
  c->attach(std::move(handler), std::move(on_complete));
  // Before the attempt starts: a backend may report (even `connected`) before dial() returns.
  if (timeout) c->arm_timeout(*timeout);
  auto started = c->start_attempt(1);
  if (!started) {
    c->abandon();
    forget(c->id());
    return fail(started.error());
  }
  return c;
}

Result<std::shared_ptr<WatchCore>> RuntimeCore::watch(const std::string& backend_name, EventSlot slot) {
  auto b = backend(backend_name);
  if (!b) return fail(b.error());
  auto core = std::make_shared<WatchCore>(shared_from_this(), backend_name, *b, std::move(slot));
  if (auto started = core->start(); !started) return fail(started.error());
  std::lock_guard lock(mutex_);
  watches_.push_back(core);
  return core;
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
    if (!c->adopted()) (void)c->hangup();
  std::vector<std::shared_ptr<Backend>> backends;
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, slot] : backends_)
      if (slot->live) backends.push_back(slot->live);
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
  for (auto& [name, slot] : backends_) slot->live.reset();
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
ConnectionId Connection::id() const noexcept { return core_->id(); }
const std::string& Connection::backend() const noexcept { return core_->backend_name(); }
const std::string& Connection::entry() const noexcept { return core_->entry(); }
Status Connection::status() const { return core_->status(); }
Result<void> Connection::resume(ResumeInput input) { return core_->resume(std::move(input)); }
Result<void> Connection::hangup() { return core_->hangup(); }
Subscription Connection::subscribe(EventHandler slot, bool current_state_first) {
  return core_->subscribe(core_->bind(std::move(slot)), current_state_first);
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

Result<Connection> Dialer::dial(std::string_view entry, DialOptions options, EventHandler handler,
                                CompletionSlot on_complete) {
  auto core = runtime_->dial(backend_, entry, std::move(options), std::move(handler), std::move(on_complete));
  if (!core) return fail(core.error());
  return Connection(std::move(*core));
}

Result<std::vector<Entry>> Dialer::entries() const {
  auto b = runtime_->backend(backend_);
  if (!b) return fail(b.error());
  return (*b)->entries();
}

Result<EntryListing> Dialer::list_entries() const {
  auto b = runtime_->backend(backend_);
  if (!b) return fail(b.error());
  return (*b)->list_entries();
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
  auto core = runtime_->watch(backend_, std::move(slot));
  if (!core) return fail(core.error());
  return Watch(std::move(*core));
}

Runtime::Runtime(RuntimeOptions options)
    : core_(std::make_shared<detail::RuntimeCore>(std::move(options))) {
  core_->start();
}

Runtime::~Runtime() { core_->shutdown(); }

void Runtime::add_backend(std::shared_ptr<BackendFactory> factory, std::string origin) {
  core_->add_backend(std::move(factory), std::move(origin));
}

Result<void> Runtime::load_plugin_file(const std::filesystem::path& file, bool allow_insecure) {
  auto loaded = load_plugin(file, allow_insecure);
  if (!loaded) return fail(loaded.error());
  add_backend(std::move(loaded->factory), loaded->path.string());
  return {};
}

std::vector<BackendSummary> Runtime::backends() const { return core_->backends(); }

Result<void> Runtime::check_dial_options(std::string_view backend, const DialOptions& options) const {
  const std::string name(backend);
  return detail::check_dial_options(core_->factory(name).get(), name, options);
}

std::vector<PluginRefusal> Runtime::refused_plugins() const { return core_->refused_plugins(); }

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
std::uint64_t Runtime::illegal_transitions() const { return core_->illegal_transitions(); }
Scheduler& Runtime::scheduler() { return core_->scheduler(); }

}  // namespace dialkit
