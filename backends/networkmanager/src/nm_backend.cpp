// The NetworkManager backend over sdbus-c++ 1.2. One thread per backend (the bus thread) owns
// the D-Bus connection: it runs the event loop, makes every NM call (synchronously, so signals
// that arrive meanwhile are dispatched after the call returned and the caller's bookkeeping is
// done), answers the secret agent's methods and feeds each connection's Tracker. Other threads
// only post work to it. Reports are made from the bus thread with no lock held.
#include "networkmanager.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <sdbus-c++/sdbus-c++.h>

#include "tables.hpp"
#include "tracker.hpp"

namespace dialkit::networkmanager {

namespace {

using nm::Reports;
using nm::Tracker;
using Dict = std::map<std::string, sdbus::Variant>;
using Settings = std::map<std::string, Dict>;
using Interfaces = std::map<std::string, Dict>;
using ManagedObjects = std::map<sdbus::ObjectPath, Interfaces>;

constexpr const char* nm_service = "org.freedesktop.NetworkManager";
constexpr const char* nm_path = "/org/freedesktop/NetworkManager";
constexpr const char* nm_iface = "org.freedesktop.NetworkManager";
constexpr const char* settings_path = "/org/freedesktop/NetworkManager/Settings";
constexpr const char* settings_iface = "org.freedesktop.NetworkManager.Settings";
constexpr const char* profile_iface = "org.freedesktop.NetworkManager.Settings.Connection";
constexpr const char* device_iface = "org.freedesktop.NetworkManager.Device";
constexpr const char* active_iface = "org.freedesktop.NetworkManager.Connection.Active";
constexpr const char* vpn_iface = "org.freedesktop.NetworkManager.VPN.Connection";
constexpr const char* agent_manager_path = "/org/freedesktop/NetworkManager/AgentManager";
constexpr const char* agent_manager_iface = "org.freedesktop.NetworkManager.AgentManager";
constexpr const char* agent_path = "/org/freedesktop/NetworkManager/SecretAgent";
constexpr const char* agent_iface = "org.freedesktop.NetworkManager.SecretAgent";
constexpr const char* props_iface = "org.freedesktop.DBus.Properties";
constexpr const char* objmgr_iface = "org.freedesktop.DBus.ObjectManager";
constexpr const char* agent_no_secrets = "org.freedesktop.NetworkManager.SecretAgent.NoSecrets";
constexpr const char* agent_canceled = "org.freedesktop.NetworkManager.SecretAgent.AgentCanceled";
// What sd-bus calls the end of a connection (a local signal): the native name of a dial ended by it.
constexpr const char* bus_disconnected = "org.freedesktop.DBus.Local.Disconnected";
constexpr const char* agent_user_canceled = "org.freedesktop.NetworkManager.SecretAgent.UserCanceled";
// What libnm's agent answers a caller that is not NetworkManager.
constexpr const char* agent_permission_denied = "org.freedesktop.NetworkManager.SecretAgent.PermissionDenied";

using std::chrono::milliseconds;

struct Config {
  std::optional<std::string> address;
  milliseconds call_timeout{10000};
  milliseconds hangup_timeout{10000};
  std::string record;
  BackendFailure failed;  // BackendContext::failed: the bus thread threw
};

std::string system_bus_address() {
  if (const char* a = std::getenv("DBUS_SYSTEM_BUS_ADDRESS"); a && *a) return a;
  return "unix:path=/run/dbus/system_bus_socket";
}

// Connects as sd-bus does: the system bus from DBUS_SYSTEM_BUS_ADDRESS (or its default),
// unless the backend option names an address.
std::unique_ptr<sdbus::IConnection> connect(const std::optional<std::string>& address) {
  if (address) return sdbus::createSessionBusConnectionWithAddress(*address);
  return sdbus::createSystemBusConnection();
}

milliseconds option_ms(const std::map<std::string, std::string>& options, const std::string& key,
                       milliseconds fallback) {
  const auto it = options.find(key);
  if (it == options.end()) return fallback;
  try {
    return milliseconds{std::stoll(it->second)};
  } catch (const std::exception&) {
    return fallback;
  }
}

template <class T>
std::optional<T> variant_as(const Dict& d, const std::string& key) {
  const auto it = d.find(key);
  if (it == d.end() || !it->second.containsValueOfType<T>()) return std::nullopt;
  return it->second.get<T>();
}

// NM's connection.type names as the entry types the CLI shows.
std::string entry_type(const std::string& nm_type) {
  static const std::map<std::string, std::string, std::less<>> names{
      {"802-3-ethernet", "ethernet"}, {"802-11-wireless", "wifi"}, {"pppoe", "pppoe"},
      {"gsm", "gsm"},                 {"cdma", "cdma"},            {"vpn", "vpn"},
      {"bluetooth", "bluetooth"},     {"adsl", "adsl"},            {"wireguard", "vpn"}};
  const auto it = names.find(nm_type);
  return it == names.end() ? nm_type : it->second;
}

struct Profile {
  std::string path;
  std::string id;
  std::string uuid;
  std::string type;
  std::string vpn_service;
};

Error bus_error(const sdbus::Error& e, std::string_view context) {
  return nm::dbus_error(e.getName(), e.getMessage(), context);
}

// ---------------------------------------------------------------------------------------------
// One dial, as the bus thread sees it.

struct DialState {
  DialState(std::string entry_, Profile profile_, std::optional<Credentials> credentials_,
            std::shared_ptr<Reporter> reporter_)
      : entry(std::move(entry_)),
        profile(std::move(profile_)),
        credentials(std::move(credentials_)),
        reporter(std::move(reporter_)) {}

  const std::string entry;
  const Profile profile;
  // Bus thread only.
  std::optional<Credentials> credentials;
  const std::shared_ptr<Reporter> reporter;
  std::optional<Tracker> tracker;
  std::string active_path;
  std::string device;  // interface name: NM renumbers device objects, not interfaces
  std::optional<sdbus::Result<Settings>> pending_secrets;
  std::string pending_setting;
  bool hangup_requested = false;

  // Any thread.
  mutable std::mutex mutex;
  std::condition_variable released_cv;
  bool released = false;
  SessionStatus status;
};

// A connection someone else started, followed for a watch.
struct Watched {
  std::string path;
  std::string entry;
  std::string device;
  Tracker tracker;
};

struct Watcher {
  std::shared_ptr<WatchSink> sink;
  std::map<std::string, Watched> connections;  // by active-connection path
};

// ---------------------------------------------------------------------------------------------

class Bus : public std::enable_shared_from_this<Bus> {
 public:
  explicit Bus(Config config) : config_(std::move(config)) {}
  ~Bus() { stop(); }
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  Result<void> start();
  void stop();

  [[nodiscard]] bool on_bus_thread() const noexcept { return std::this_thread::get_id() == thread_id_.load(); }
  [[nodiscard]] const Config& config() const noexcept { return config_; }

  // Runs `work` on the bus thread and waits for it (runs it inline when already there).
  // False if the bus thread is gone.
  bool run(const std::function<void()>& work);
  void post(std::function<void()> work);
  // What a call gets once the bus thread is gone: shut down, or failed (it threw).
  [[nodiscard]] Error gone() const;

  // Bus thread only.
  Result<std::vector<Profile>> profiles();
  Result<std::shared_ptr<DialState>> dial(const DialRequest& request, std::shared_ptr<Reporter> reporter);
  void hangup(const std::shared_ptr<DialState>& dial);
  void poll_released(const std::shared_ptr<DialState>& dial);
  void forget(const std::shared_ptr<DialState>& dial);
  Result<void> resume(const std::shared_ptr<DialState>& dial, const Credentials& credentials);
  Result<void> answer(DialState& dial, const Credentials& credentials);
  Result<std::vector<LiveConnection>> live_connections();
  Result<void> deactivate(const std::string& active_path);
  std::uint64_t add_watcher(std::shared_ptr<WatchSink> sink);
  void remove_watcher(std::uint64_t id);

 private:
  void stop_once();
  void thread_main();
  void loop();
  // The loop threw: no task will run any more; every waiter is let go.
  void abandon(const std::string& why);
  void drain();
  void connection_lost(const std::string& why);

  std::unique_ptr<sdbus::IProxy> proxy(const std::string& path) {
    return sdbus::createProxy(*connection_, nm_service, path);
  }
  template <class T>
  T property(const std::string& path, const char* iface, const char* name) {
    sdbus::Variant v;
    proxy(path)->callMethod("Get").onInterface(props_iface).withArguments(std::string(iface), std::string(name)).storeResultsTo(v);
    return v.get<T>();
  }
  std::string device_name(const std::string& device_path);
  std::string device_of_active(const std::string& active_path);
  void register_agent();
  // Not present: every dial and watched connection ends, told `why` (and `native`).
  void set_nm_present(bool present, const std::string& why = "NetworkManager left the bus",
                      const std::string& native = "NameOwnerChanged");
  // NetworkManager's unique name on the bus, or empty when the name has no owner. Throws
  // sdbus::Error when the bus cannot answer.
  std::string resolve_owner();
  // Whether NM can be called now. When no owner is known it asks the bus again: after a
  // restart, the NameOwnerChanged signal may still be queued behind the call asking.
  bool ensure_nm();
  // Why NM cannot be called: the bus connection is lost, or nobody owns NM's name.
  [[nodiscard]] Error unavailable() const;

  // Signal handlers (bus thread).
  void on_signal(sdbus::Message& msg);
  void on_name_owner(sdbus::Message& msg);
  void on_device_state(const std::string& path, std::uint32_t now, std::uint32_t old, std::uint32_t reason);
  void on_active_state(const std::string& path, std::uint32_t state, std::uint32_t reason);
  void on_vpn_state(const std::string& path, std::uint32_t state, std::uint32_t reason);
  void on_active_added(const std::string& path, const Dict& props);
  void on_active_removed(const std::string& path);
  // `ask_device`: read the device's current state (a watch starting, or NM reappearing). Not for
  // an activation announced by a signal: its device's state changes are queued behind that
  // signal, and a state read now would skip them (a busy client would see only the last).
  void adopt(Watcher& w, const std::string& path, const Dict& props, bool ask_device);

  // Secret agent methods (bus thread).
  // Whether the method call being handled comes from NetworkManager's current unique name, as
  // libnm's agent checks: on a bus whose policy lets others call us, a GetSecrets from anyone
  // else must not get a dial's password.
  bool caller_is_nm() const;
  // Throws PermissionDenied (sdbus-c++ sends it as the error reply) unless caller_is_nm().
  void refuse_unless_nm() const;
  void get_secrets(sdbus::Result<Settings>&& result, const std::string& connection_path,
                   const std::string& setting, std::uint32_t flags);
  void cancel_secrets(const std::string& connection_path, const std::string& setting);

  void deliver(const std::shared_ptr<DialState>& dial, Reports reports);
  void deliver_watch(Watcher& w, const Watched& c, Reports reports);
  void flush();
  void record(const std::string& line);
  void answer_pending_with_error(DialState& dial, const char* name, const char* message);

  const Config config_;
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IObject> agent_;
  sdbus::Slot nm_match_;
  sdbus::Slot owner_match_;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
  std::once_flag stop_once_;

  mutable std::mutex queue_mutex_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  bool thread_done_ = false;
  std::string failure_;  // why the bus thread ended early (it threw); guarded by queue_mutex_

  // Bus thread only.
  bool connection_broken_ = false;
  std::string lost_reason_;  // why the connection broke
  bool nm_present_ = false;
  std::string nm_owner_;  // NM's unique name while nm_present_
  bool agent_registered_ = false;
  std::string agent_error_;
  std::vector<std::shared_ptr<DialState>> dials_;
  std::map<std::string, std::string> device_names_;  // object path -> interface
  std::map<std::uint64_t, Watcher> watchers_;
  std::uint64_t next_watcher_ = 1;
  std::ofstream record_;
  std::deque<std::function<void()>> outbox_;  // reports waiting to leave (see flush)
  bool flushing_ = false;
};

Result<void> Bus::start() {
  try {
    connection_ = connect(config_.address);
    connection_->setMethodCallTimeout(static_cast<std::uint64_t>(config_.call_timeout.count()) * 1000u);
  } catch (const sdbus::Error& e) {
    return fail(make_error(Errc::backend_unavailable,
                           "cannot connect to the system bus at " + config_.address.value_or(system_bus_address()) +
                               ": " + e.getMessage()));
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return fail(make_error(Errc::system_error, "eventfd failed"));
  if (!config_.record.empty()) record_.open(config_.record, std::ios::app);
  try {
    nm_match_ = connection_->addMatch(std::string("type='signal',sender='") + nm_service + "'",
                                      [this](sdbus::Message& m) { on_signal(m); });
    owner_match_ = connection_->addMatch(
        std::string("type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                    "member='NameOwnerChanged',arg0='") + nm_service + "'",
        [this](sdbus::Message& m) { on_name_owner(m); });
    agent_ = sdbus::createObject(*connection_, agent_path);
    // Every agent method answers NetworkManager only (see caller_is_nm); anyone else gets
    // PermissionDenied and learns nothing, cancels nothing.
    agent_->registerMethod("GetSecrets")
        .onInterface(agent_iface)
        .implementedAs([this](sdbus::Result<Settings>&& result, const Settings&, const sdbus::ObjectPath& path,
                              const std::string& setting, const std::vector<std::string>&, std::uint32_t flags) {
          if (!caller_is_nm()) {
            result.returnError(sdbus::Error(agent_permission_denied, "Request by non-NetworkManager process rejected"));
            return;
          }
          get_secrets(std::move(result), path, setting, flags);
        });
    agent_->registerMethod("CancelGetSecrets")
        .onInterface(agent_iface)
        .implementedAs([this](const sdbus::ObjectPath& path, const std::string& setting) {
          refuse_unless_nm();
          cancel_secrets(path, setting);
        });
    // dialkit keeps no secrets: saving and deleting are accepted (from NM) and ignored.
    agent_->registerMethod("SaveSecrets").onInterface(agent_iface).implementedAs([this](const Settings&, const sdbus::ObjectPath&) {
      refuse_unless_nm();
    });
    agent_->registerMethod("DeleteSecrets").onInterface(agent_iface).implementedAs([this](const Settings&, const sdbus::ObjectPath&) {
      refuse_unless_nm();
    });
    agent_->finishRegistration();
    nm_owner_ = resolve_owner();
    set_nm_present(!nm_owner_.empty());
  } catch (const sdbus::Error& e) {
    return fail(bus_error(e, "setting up the NetworkManager client"));
  }
  thread_ = std::thread([this] { thread_main(); });
  thread_id_ = thread_.get_id();
  return {};
}

void Bus::stop() {
  std::call_once(stop_once_, [this] { stop_once(); });
}

void Bus::stop_once() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) {
    if (on_bus_thread()) thread_.detach();  // cannot join oneself; the loop ends after this task
    else thread_.join();
  }
  // Objects that own sd-bus slots go before the connection they live on.
  agent_.reset();
  nm_match_.reset();
  owner_match_.reset();
  connection_.reset();
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
    wake_fd_ = -1;
  }
}

void Bus::post(std::function<void()> work) {
  {
    std::lock_guard lock(queue_mutex_);
    if (thread_done_) return;
    queue_.push_back(std::move(work));
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
}

bool Bus::run(const std::function<void()>& work) {
  if (on_bus_thread()) {
    work();
    flush();
    return true;
  }
  struct Waiter {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    bool ran = false;
    void finish(bool ran_it) {
      std::lock_guard l(m);
      if (done) return;
      ran = ran_it;
      done = true;
      cv.notify_all();
    }
  };
  // Let go when the task has run, or when it is dropped unrun (the loop threw; see abandon):
  // the last copy of the task going away says "not run" unless it ran.
  struct Release {
    explicit Release(std::shared_ptr<Waiter> w) : waiter(std::move(w)) {}
    Release(const Release&) = delete;
    Release& operator=(const Release&) = delete;
    ~Release() { waiter->finish(false); }
    std::shared_ptr<Waiter> waiter;
  };
  auto waiter = std::make_shared<Waiter>();
  {
    std::lock_guard lock(queue_mutex_);
    if (thread_done_) return false;
    queue_.push_back([&work, waiter, release = std::make_shared<Release>(waiter)] {
      work();
      waiter->finish(true);
    });
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
  std::unique_lock lock(waiter->m);
  // The loop runs or drops every queued task before it exits, so this always ends.
  waiter->cv.wait(lock, [&] { return waiter->done; });
  return waiter->ran;
}

Error Bus::gone() const {
  std::lock_guard lock(queue_mutex_);
  if (!failure_.empty())
    return make_error(Errc::backend_failed, "the NetworkManager backend cannot go on: " + failure_);
  return make_error(Errc::backend_unavailable, "the backend was shut down");
}

void Bus::thread_main() {
  const char* name = "the NetworkManager backend's D-Bus thread";
  // An exception that escapes the loop (out of memory, a bug of ours) must not end the
  // user's process: the callers waiting on the loop are let go, then core is told, which
  // ends this backend's connections with backend_failed.
  run_guarded(config_.failed, name, [&] {
    try {
      loop();
    } catch (const std::exception& e) {
      abandon(std::string(name) + " threw: " + e.what());
      throw;
    } catch (...) {
      abandon(std::string(name) + " threw a non-standard exception");
      throw;
    }
  });
}

void Bus::abandon(const std::string& why) {
  std::deque<std::function<void()>> left;
  {
    std::lock_guard lock(queue_mutex_);
    thread_done_ = true;
    failure_ = why;
    left.swap(queue_);
  }
  left.clear();  // each dropped run() task lets its caller go
  outbox_.clear();
  flushing_ = false;
  for (const auto& d : dials_) {  // a hang-up waiting for the dial's end need not wait
    std::lock_guard lock(d->mutex);
    d->released = true;
    d->released_cv.notify_all();
  }
}

void Bus::loop() {
  for (;;) {
    std::deque<std::function<void()>> work;
    bool stopping = false;
    {
      std::lock_guard lock(queue_mutex_);
      work.swap(queue_);
      stopping = stopping_;
    }
    for (auto& w : work) {
      w();
      flush();
    }
    if (stopping) {
      std::lock_guard lock(queue_mutex_);
      if (queue_.empty()) {
        thread_done_ = true;
        break;
      }
      continue;
    }
    drain();
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {-1, 0, 0}};
    int timeout_ms = -1;
    if (!connection_broken_) {
      const auto pd = connection_->getEventLoopPollData();
      fds[1] = {pd.fd, pd.events, 0};
      if (const auto rel = pd.getRelativeTimeout())
        timeout_ms = static_cast<int>(std::min<std::int64_t>((rel->count() + 999) / 1000, 60'000));
    }
    const int r = ::poll(fds, connection_broken_ ? 1 : 2, timeout_ms);
    if (r > 0 && (fds[0].revents & POLLIN)) {
      std::uint64_t v = 0;
      [[maybe_unused]] const auto n = ::read(wake_fd_, &v, sizeof v);
    }
    if (r > 0 && !connection_broken_ && (fds[1].revents & (POLLHUP | POLLERR))) {
      drain();
      if (!connection_broken_) connection_lost("the D-Bus connection was closed by the bus");
    }
  }
}

void Bus::drain() {
  if (connection_broken_) return;
  try {
    while (connection_->processPendingRequest()) flush();
  } catch (const sdbus::Error& e) {
    connection_lost("the D-Bus connection broke: " + e.getMessage());
  }
  flush();
}

void Bus::connection_lost(const std::string& why) {
  connection_broken_ = true;
  lost_reason_ = why;
  set_nm_present(false, why, bus_disconnected);
  for (auto& d : std::vector(dials_)) {  // those started while NM seemed absent
    if (!d->tracker) continue;
    record("lost");
    deliver(d, d->tracker->service_lost(why, bus_disconnected));
  }
}

void Bus::record(const std::string& line) {
  if (record_.is_open()) record_ << line << '\n' << std::flush;
}

void Bus::set_nm_present(bool present, const std::string& why, const std::string& native) {
  const bool was = nm_present_;
  nm_present_ = present;
  if (!present) {
    agent_registered_ = false;
    nm_owner_.clear();
    if (was) {
      for (auto& d : std::vector(dials_)) {
        if (!d->tracker) continue;
        record("lost");
        deliver(d, d->tracker->service_lost(why, native));
      }
      for (auto& [id, w] : watchers_) {
        for (auto& [path, c] : w.connections) deliver_watch(w, c, c.tracker.service_lost(why, native));
        w.connections.clear();
      }
    }
    device_names_.clear();
    return;
  }
  // NetworkManager (re)appeared: register the agent again, and show a watch what is up.
  if (!dials_.empty() || !watchers_.empty()) register_agent();
  for (auto& [id, w] : watchers_) {
    try {
      ManagedObjects objects;
      sdbus::createProxy(*connection_, nm_service, "/org/freedesktop")
          ->callMethod("GetManagedObjects").onInterface(objmgr_iface).storeResultsTo(objects);
      for (const auto& [path, ifaces] : objects)
        if (const auto it = ifaces.find(active_iface); it != ifaces.end()) adopt(w, path, it->second, true);
    } catch (const sdbus::Error&) {
    }
  }
}

std::string Bus::resolve_owner() {
  std::string owner;
  try {
    sdbus::createProxy(*connection_, "org.freedesktop.DBus", "/org/freedesktop/DBus")
        ->callMethod("GetNameOwner").onInterface("org.freedesktop.DBus").withArguments(std::string(nm_service)).storeResultsTo(owner);
  } catch (const sdbus::Error& e) {
    if (e.getName() == "org.freedesktop.DBus.Error.NameHasNoOwner") return {};
    throw;
  }
  return owner;
}

bool Bus::ensure_nm() {
  if (connection_broken_) return false;
  if (nm_present_) return true;
  try {
    nm_owner_ = resolve_owner();
  } catch (const sdbus::Error&) {
    return false;  // the bus did not answer; a broken connection is seen by the loop
  }
  if (!nm_owner_.empty()) set_nm_present(true);
  return nm_present_;
}

Error Bus::unavailable() const {
  const std::string where = config_.address.value_or(system_bus_address());
  if (connection_broken_)
    return make_error(Errc::backend_unavailable, "the connection to the D-Bus system bus at " + where +
                                                     " was lost (" + lost_reason_ +
                                                     "); this backend stays unusable: create a new Runtime");
  return make_error(Errc::backend_unavailable, "org.freedesktop.NetworkManager is not on the system bus at " + where +
                                                   " (is NetworkManager running?)");
}

void Bus::register_agent() {
  if (agent_registered_ || !nm_present_ || connection_broken_) return;
  try {
    static std::atomic<unsigned> counter{0};
    const std::string identifier = "org.dialkit.agent.p" + std::to_string(::getpid()) + "." + std::to_string(++counter);
    proxy(agent_manager_path)->callMethod("Register").onInterface(agent_manager_iface).withArguments(identifier);
    agent_registered_ = true;
    agent_error_.clear();
  } catch (const sdbus::Error& e) {
    // Without an agent NM asks other agents; a dial needing secrets then fails with NO_SECRETS.
    agent_error_ = e.getName() + ": " + e.getMessage();
  }
}

std::string Bus::device_name(const std::string& device_path) {
  if (device_path.empty() || device_path == "/") return {};
  if (const auto it = device_names_.find(device_path); it != device_names_.end()) return it->second;
  try {
    auto name = property<std::string>(device_path, device_iface, "Interface");
    device_names_[device_path] = name;
    return name;
  } catch (const sdbus::Error&) {
    return {};
  }
}

std::string Bus::device_of_active(const std::string& active_path) {
  try {
    const auto devices = property<std::vector<sdbus::ObjectPath>>(active_path, active_iface, "Devices");
    if (!devices.empty()) return device_name(devices.front());
  } catch (const sdbus::Error&) {
  }
  return {};
}

Result<std::vector<Profile>> Bus::profiles() {
  if (connection_broken_) return fail(unavailable());
  std::vector<Profile> out;
  try {
    std::vector<sdbus::ObjectPath> paths;
    proxy(settings_path)->callMethod("ListConnections").onInterface(settings_iface).storeResultsTo(paths);
    for (const auto& path : paths) {
      Settings s;
      try {
        proxy(path)->callMethod("GetSettings").onInterface(profile_iface).storeResultsTo(s);
      } catch (const sdbus::Error&) {
        continue;  // removed meanwhile, or not ours to read
      }
      Profile p;
      p.path = path;
      const auto& c = s["connection"];
      p.id = variant_as<std::string>(c, "id").value_or(path);
      p.uuid = variant_as<std::string>(c, "uuid").value_or("");
      p.type = variant_as<std::string>(c, "type").value_or("");
      if (const auto vpn = s.find("vpn"); vpn != s.end())
        p.vpn_service = variant_as<std::string>(vpn->second, "service-type").value_or("");
      out.push_back(std::move(p));
    }
  } catch (const sdbus::Error& e) {
    return fail(bus_error(e, "listing NetworkManager connection profiles"));
  }
  return out;
}

Result<std::shared_ptr<DialState>> Bus::dial(const DialRequest& request, std::shared_ptr<Reporter> reporter) {
  if (!ensure_nm()) return fail(unavailable());
  auto list = profiles();
  if (!list) return fail(list.error());
  const auto it = std::find_if(list->begin(), list->end(), [&](const Profile& p) {
    return p.id == request.entry || p.uuid == request.entry || p.path == request.entry;
  });
  if (it == list->end())
    return fail(make_error(Errc::unknown_entry, "no NetworkManager connection profile named '" + request.entry + "'"));
  register_agent();

  auto dial = std::make_shared<DialState>(request.entry, *it, request.credentials, std::move(reporter));
  sdbus::ObjectPath active;
  try {
    proxy(nm_path)
        ->callMethod("ActivateConnection")
        .onInterface(nm_iface)
        .withArguments(sdbus::ObjectPath(it->path), sdbus::ObjectPath("/"), sdbus::ObjectPath("/"))
        .storeResultsTo(active);
  } catch (const sdbus::Error& e) {
    return fail(bus_error(e, "ActivateConnection '" + it->id + "'"));
  }
  dial->active_path = active;
  bool vpn = it->type == "vpn";
  try {
    vpn = property<bool>(active, active_iface, "Vpn");
  } catch (const sdbus::Error&) {
  }
  dial->device = vpn ? std::string() : device_of_active(active);
  dial->tracker.emplace(Tracker::Options{Tracker::Mode::dial, vpn, request.credentials.has_value()});
  {
    std::lock_guard lock(dial->mutex);
    dial->status.native_id = active;  // the id live_connections() lists and hangup_live() takes
    dial->status.device_name = dial->device.empty() ? it->id : dial->device;
    dial->status.device_type = entry_type(it->type);
    dial->status.interface = dial->device;
  }
  record("# dial " + it->id + " type=" + it->type + " vpn=" + (vpn ? "1" : "0") +
         " credentials=" + (request.credentials ? "1" : "0"));
  dials_.push_back(dial);
  return dial;
}

void Bus::deliver(const std::shared_ptr<DialState>& dial, Reports reports) {
  const bool released = dial->tracker && dial->tracker->released();
  if (released) {
    if (dial->pending_secrets) answer_pending_with_error(*dial, agent_canceled, "the connection ended");
    std::erase(dials_, dial);
  }
  if (reports.empty() && !released) return;
  outbox_.push_back([dial, released, reports = std::move(reports)]() mutable {
    for (auto& r : reports) dial->reporter->report(std::move(r));
    if (released) {
      std::lock_guard lock(dial->mutex);
      dial->released = true;
      dial->released_cv.notify_all();
    }
  });
}

void Bus::deliver_watch(Watcher& w, const Watched& c, Reports reports) {
  if (reports.empty()) return;
  outbox_.push_back([sink = w.sink, id = c.path, entry = c.entry, reports = std::move(reports)]() mutable {
    for (auto& r : reports) sink->report(id, entry, std::move(r));
  });
}

void Bus::flush() {
  // Reports leave from here, never from inside sd-bus's dispatch: sdbus-c++ holds its
  // connection lock while it runs our handlers, and a report may run a subscriber (inline
  // delivery) or take core's locks. A subscriber that calls back in (hangup from a slot) adds
  // to the outbox, which this loop delivers next, in order.
  if (flushing_) return;
  flushing_ = true;
  while (!outbox_.empty()) {
    auto next = std::move(outbox_.front());
    outbox_.pop_front();
    next();
  }
  flushing_ = false;
}

void Bus::answer_pending_with_error(DialState& dial, const char* name, const char* message) {
  if (!dial.pending_secrets) return;
  try {
    dial.pending_secrets->returnError(sdbus::Error(name, message));
  } catch (const sdbus::Error&) {
  }
  dial.pending_secrets.reset();
}

void Bus::hangup(const std::shared_ptr<DialState>& dial) {
  if (!dial->tracker || dial->hangup_requested) return;
  dial->hangup_requested = true;
  record("hangup");
  answer_pending_with_error(*dial, agent_user_canceled, "the dial was hung up");
  auto reports = dial->tracker->hangup_started();
  if (!dial->tracker->released()) {
    if (connection_broken_ || !nm_present_) {
      (void)dial->tracker->service_lost("NetworkManager is not on the bus");
    } else {
      try {
        proxy(nm_path)->callMethod("DeactivateConnection").onInterface(nm_iface).withArguments(sdbus::ObjectPath(dial->active_path));
      } catch (const sdbus::Error& e) {
        // ConnectionNotActive / UnknownConnection: already gone. Anything else: nothing more
        // this side can do, so the hang-up does not wait for it.
        (void)e;
        (void)dial->tracker->active_removed();
      }
    }
  }
  deliver(dial, std::move(reports));
}

void Bus::poll_released(const std::shared_ptr<DialState>& dial) {
  // Hang-up from a slot running on the bus thread: signals cannot be dispatched while this
  // thread waits, so ask NM directly until the active connection is gone or the bound passes.
  const auto until = std::chrono::steady_clock::now() + config_.hangup_timeout;
  while (!dial->tracker->released() && std::chrono::steady_clock::now() < until) {
    try {
      const auto state = property<std::uint32_t>(dial->active_path, active_iface, "State");
      if (state == 4) break;
    } catch (const sdbus::Error&) {
      break;  // the object is gone
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  (void)dial->tracker->active_removed();
  deliver(dial, {});
}

void Bus::forget(const std::shared_ptr<DialState>& dial) {
  answer_pending_with_error(*dial, agent_canceled, "the dial was dropped");
  std::erase(dials_, dial);
}

// Answers the pending GetSecrets with `credentials`, shaped for the setting NM asked about.
Result<void> Bus::answer(DialState& dial, const Credentials& credentials) {
  Settings secrets;
  const auto& setting = dial.pending_setting;
  std::string password(credentials.password.reveal());
  // The copies sd-bus makes live in its message, which is freed once sent; this one is wiped.
  struct Wipe {
    std::string& s;
    ~Wipe() { secure_wipe(s); }
  } wipe{password};
  if (setting == "vpn") {
    secrets["vpn"]["secrets"] = sdbus::Variant(std::map<std::string, std::string>{{"password", password}});
  } else if (setting == "802-11-wireless-security") {
    secrets[setting]["psk"] = sdbus::Variant(password);
  } else if (setting == "802-1x") {
    if (!credentials.user.empty()) secrets[setting]["identity"] = sdbus::Variant(credentials.user);
    secrets[setting]["password"] = sdbus::Variant(password);
  } else {
    secrets[setting]["password"] = sdbus::Variant(password);
  }
  auto pending = std::move(*dial.pending_secrets);
  dial.pending_secrets.reset();
  try {
    pending.returnResults(secrets);
  } catch (const sdbus::Error& e) {
    return fail(bus_error(e, "answering GetSecrets"));
  }
  return {};
}

Result<void> Bus::resume(const std::shared_ptr<DialState>& dial, const Credentials& credentials) {
  if (!dial->tracker || !dial->pending_secrets)
    return fail(make_error(Errc::invalid_state, "NetworkManager is not waiting for secrets from this dial"));
  dial->credentials = credentials;
  auto answered = answer(*dial, credentials);
  record("resume");
  deliver(dial, dial->tracker->resumed());
  return answered;
}

bool Bus::caller_is_nm() const {
  if (!nm_present_ || nm_owner_.empty() || !agent_) return false;
  const sdbus::Message* message = agent_->getCurrentlyProcessedMessage();
  return message != nullptr && message->getSender() == nm_owner_;
}

void Bus::refuse_unless_nm() const {
  if (!caller_is_nm()) throw sdbus::Error(agent_permission_denied, "Request by non-NetworkManager process rejected");
}

void Bus::get_secrets(sdbus::Result<Settings>&& result, const std::string& connection_path,
                      const std::string& setting, std::uint32_t flags) {
  const auto it = std::find_if(dials_.begin(), dials_.end(), [&](const auto& d) {
    return d->profile.path == connection_path && d->tracker && !d->tracker->ended();
  });
  if (it == dials_.end()) {
    result.returnError(sdbus::Error(agent_no_secrets, "dialkit has no dial for this connection"));
    return;
  }
  auto dial = *it;
  record("secrets " + setting + " " + std::to_string(flags));
  Reports reports;
  dial->pending_setting = setting;
  switch (dial->tracker->secrets_requested(flags, setting, reports)) {
    case Tracker::SecretsAnswer::credentials:
      dial->pending_secrets.emplace(std::move(result));
      (void)answer(*dial, *dial->credentials);
      break;
    case Tracker::SecretsAnswer::pause:
      answer_pending_with_error(*dial, agent_canceled, "superseded by a new request");
      dial->pending_secrets.emplace(std::move(result));
      break;
    case Tracker::SecretsAnswer::refuse:
      result.returnError(sdbus::Error(agent_user_canceled, "the dial is ending"));
      break;
  }
  deliver(dial, std::move(reports));
}

void Bus::cancel_secrets(const std::string& connection_path, const std::string& setting) {
  for (auto& d : dials_) {
    if (d->profile.path != connection_path || !d->pending_secrets || d->pending_setting != setting) continue;
    record("cancel " + setting);
    answer_pending_with_error(*d, agent_canceled, "NetworkManager cancelled the request");
    if (d->tracker) d->tracker->secrets_cancelled();
  }
}

void Bus::on_signal(sdbus::Message& msg) {
  try {
    const std::string iface = msg.getInterfaceName();
    const std::string member = msg.getMemberName();
    const std::string path = msg.getPath();
    if (iface == device_iface && member == "StateChanged") {
      std::uint32_t now = 0, old = 0, reason = 0;
      msg >> now >> old >> reason;
      on_device_state(path, now, old, reason);
    } else if (iface == active_iface && member == "StateChanged") {
      std::uint32_t state = 0, reason = 0;
      msg >> state >> reason;
      on_active_state(path, state, reason);
    } else if (iface == vpn_iface && member == "VpnStateChanged") {
      std::uint32_t state = 0, reason = 0;
      msg >> state >> reason;
      on_vpn_state(path, state, reason);
    } else if (iface == objmgr_iface && member == "InterfacesAdded") {
      sdbus::ObjectPath object;
      Interfaces ifaces;
      msg >> object >> ifaces;
      if (const auto d = ifaces.find(device_iface); d != ifaces.end())
        if (auto name = variant_as<std::string>(d->second, "Interface")) device_names_[object] = *name;
      if (const auto a = ifaces.find(active_iface); a != ifaces.end()) on_active_added(object, a->second);
    } else if (iface == objmgr_iface && member == "InterfacesRemoved") {
      sdbus::ObjectPath object;
      std::vector<std::string> ifaces;
      msg >> object >> ifaces;
      if (std::find(ifaces.begin(), ifaces.end(), active_iface) != ifaces.end()) on_active_removed(object);
      if (std::find(ifaces.begin(), ifaces.end(), device_iface) != ifaces.end()) device_names_.erase(object);
    } else if (iface == props_iface && member == "PropertiesChanged") {
      std::string changed_iface;
      Dict changed;
      msg >> changed_iface >> changed;
      if (changed_iface == active_iface) {
        // The devices of an activation may be filled in after it was created.
        if (auto devices = variant_as<std::vector<sdbus::ObjectPath>>(changed, "Devices"); devices && !devices->empty()) {
          for (auto& d : dials_)
            if (d->active_path == path && d->device.empty() && d->tracker && !d->tracker->options().vpn)
              d->device = device_name(devices->front());
        }
      }
    }
  } catch (const sdbus::Error&) {
    // A signal with unexpected arguments (a mock, a newer NM) is ignored, not fatal.
  }
}

void Bus::on_name_owner(sdbus::Message& msg) {
  try {
    std::string name, old_owner, new_owner;
    msg >> name >> old_owner >> new_owner;
    if (name != nm_service) return;
    // Only changes of the owner known here count: ensure_nm() may have found a new owner
    // before the signals saying the old one left and the new one came were dispatched.
    if (!old_owner.empty() && old_owner == nm_owner_) {
      nm_owner_.clear();
      set_nm_present(false);
    }
    if (!new_owner.empty() && new_owner != nm_owner_) {
      if (nm_present_) set_nm_present(false);  // a different owner than the one known
      nm_owner_ = new_owner;
      set_nm_present(true);
    }
  } catch (const sdbus::Error&) {
  }
}

void Bus::on_device_state(const std::string& path, std::uint32_t now, std::uint32_t old, std::uint32_t reason) {
  const auto name = device_name(path);
  if (name.empty()) return;
  for (auto& d : std::vector(dials_)) {
    if (d->device != name || !d->tracker) continue;
    record("device " + std::to_string(now) + " " + std::to_string(old) + " " + std::to_string(reason));
    deliver(d, d->tracker->device_state(now, old, reason));
  }
  for (auto& [id, w] : watchers_) {
    for (auto it = w.connections.begin(); it != w.connections.end();) {
      if (it->second.device == name) {
        deliver_watch(w, it->second, it->second.tracker.device_state(now, old, reason));
        if (it->second.tracker.ended()) {
          it = w.connections.erase(it);
          continue;
        }
      }
      ++it;
    }
  }
}

void Bus::on_active_state(const std::string& path, std::uint32_t state, std::uint32_t reason) {
  for (auto& d : std::vector(dials_)) {
    if (d->active_path != path || !d->tracker) continue;
    record("active " + std::to_string(state) + " " + std::to_string(reason));
    deliver(d, d->tracker->active_state(state, reason));
  }
  for (auto& [id, w] : watchers_) {
    if (const auto it = w.connections.find(path); it != w.connections.end()) {
      deliver_watch(w, it->second, it->second.tracker.active_state(state, reason));
      if (it->second.tracker.ended()) w.connections.erase(it);
    }
  }
}

void Bus::on_vpn_state(const std::string& path, std::uint32_t state, std::uint32_t reason) {
  for (auto& d : std::vector(dials_)) {
    if (d->active_path != path || !d->tracker) continue;
    record("vpn " + std::to_string(state) + " " + std::to_string(reason));
    deliver(d, d->tracker->vpn_state(state, reason));
  }
  for (auto& [id, w] : watchers_) {
    if (const auto it = w.connections.find(path); it != w.connections.end()) {
      deliver_watch(w, it->second, it->second.tracker.vpn_state(state, reason));
      if (it->second.tracker.ended()) w.connections.erase(it);
    }
  }
}

void Bus::on_active_added(const std::string& path, const Dict& props) {
  for (auto& [id, w] : watchers_) adopt(w, path, props, false);
}

void Bus::adopt(Watcher& w, const std::string& path, const Dict& props, bool ask_device) {
  // Our own dials are not reported to a watch: ActivateConnection returned their path before
  // this signal was dispatched, so they are already known here.
  for (const auto& d : dials_)
    if (d->active_path == path) return;
  if (w.connections.count(path)) return;
  const bool vpn = variant_as<bool>(props, "Vpn").value_or(false);
  std::string device;
  std::optional<std::uint32_t> device_state;
  if (auto devices = variant_as<std::vector<sdbus::ObjectPath>>(props, "Devices"); devices && !devices->empty() && !vpn) {
    device = device_name(devices->front());
    if (ask_device) {
      try {
        device_state = property<std::uint32_t>(devices->front(), device_iface, "State");
      } catch (const sdbus::Error&) {
      }
    }
  }
  Watched c{path, variant_as<std::string>(props, "Id").value_or(path), device,
            Tracker(Tracker::Options{Tracker::Mode::watch, vpn, false})};
  auto reports = c.tracker.adopt(variant_as<std::uint32_t>(props, "State").value_or(0), device_state);
  auto [it, inserted] = w.connections.emplace(path, std::move(c));
  deliver_watch(w, it->second, std::move(reports));
}

void Bus::on_active_removed(const std::string& path) {
  for (auto& d : std::vector(dials_)) {
    if (d->active_path != path || !d->tracker) continue;
    record("removed");
    deliver(d, d->tracker->active_removed());
  }
  for (auto& [id, w] : watchers_) {
    if (const auto it = w.connections.find(path); it != w.connections.end()) {
      deliver_watch(w, it->second, it->second.tracker.active_removed());
      w.connections.erase(it);
    }
  }
}

Result<std::vector<LiveConnection>> Bus::live_connections() {
  if (!ensure_nm()) return fail(unavailable());
  std::vector<LiveConnection> out;
  try {
    const auto actives = property<std::vector<sdbus::ObjectPath>>(nm_path, nm_iface, "ActiveConnections");
    for (const auto& path : actives) {
      LiveConnection c;
      c.id = path;
      try {
        c.entry = property<std::string>(path, active_iface, "Id");
        const auto state = property<std::uint32_t>(path, active_iface, "State");
        const auto* row = nm::find_state(nm::active_states, state);
        c.state = row && row->state ? *row->state : State::opening_port;
      } catch (const sdbus::Error&) {
        continue;  // gone meanwhile
      }
      c.device = device_of_active(path);
      c.started_here = std::any_of(dials_.begin(), dials_.end(), [&](const auto& d) { return d->active_path == path; });
      out.push_back(std::move(c));
    }
  } catch (const sdbus::Error& e) {
    return fail(bus_error(e, "reading NetworkManager's active connections"));
  }
  return out;
}

Result<void> Bus::deactivate(const std::string& active_path) {
  if (!ensure_nm()) return fail(unavailable());
  try {
    proxy(nm_path)->callMethod("DeactivateConnection").onInterface(nm_iface).withArguments(sdbus::ObjectPath(active_path));
  } catch (const sdbus::Error& e) {
    return fail(bus_error(e, "DeactivateConnection " + active_path));
  }
  return {};
}

std::uint64_t Bus::add_watcher(std::shared_ptr<WatchSink> sink) {
  const auto id = next_watcher_++;
  auto& w = watchers_[id];
  w.sink = std::move(sink);
  if (!ensure_nm()) return id;
  try {
    ManagedObjects objects;
    sdbus::createProxy(*connection_, nm_service, "/org/freedesktop")
        ->callMethod("GetManagedObjects").onInterface(objmgr_iface).storeResultsTo(objects);
    for (const auto& [path, ifaces] : objects) {
      if (const auto d = ifaces.find(device_iface); d != ifaces.end())
        if (auto name = variant_as<std::string>(d->second, "Interface")) device_names_[path] = *name;
    }
    for (const auto& [path, ifaces] : objects)
      if (const auto it = ifaces.find(active_iface); it != ifaces.end()) adopt(w, path, it->second, true);
  } catch (const sdbus::Error&) {
    // NM without an ObjectManager (old or mocked): new activations are still seen.
  }
  return id;
}

void Bus::remove_watcher(std::uint64_t id) { watchers_.erase(id); }

// ---------------------------------------------------------------------------------------------

class NmSession final : public Session {
 public:
  NmSession(std::shared_ptr<Bus> bus, std::shared_ptr<DialState> dial) : bus_(std::move(bus)), dial_(std::move(dial)) {}
  ~NmSession() override {
    // Posted, not waited for: the session may be dropped from a slot on the bus thread.
    // The task holds no Bus reference: the bus thread must never drop the last one.
    if (!bus_->on_bus_thread()) bus_->post([bus = bus_.get(), dial = dial_] { bus->forget(dial); });
    else bus_->forget(dial_);
  }

  Result<void> resume(const ResumeInput& input) override {
    const auto* credentials = std::get_if<Credentials>(&input);
    if (!credentials) return fail(make_error(Errc::invalid_argument, "NetworkManager's pause takes credentials"));
    // Must not block on the bus thread's work: answer it there.
    bus_->post([bus = bus_.get(), dial = dial_, c = *credentials] { (void)bus->resume(dial, c); });
    return {};
  }

  void hangup() override {
    if (bus_->on_bus_thread()) {
      bus_->hangup(dial_);
      if (!dial_->tracker || !dial_->tracker->released()) bus_->poll_released(dial_);
      return;
    }
    if (!bus_->run([&] { bus_->hangup(dial_); })) return;
    std::unique_lock lock(dial_->mutex);
    dial_->released_cv.wait_for(lock, bus_->config().hangup_timeout, [&] { return dial_->released; });
  }

  [[nodiscard]] SessionStatus status() const override {
    std::lock_guard lock(dial_->mutex);
    return dial_->status;
  }

 private:
  std::shared_ptr<Bus> bus_;
  std::shared_ptr<DialState> dial_;
};

class NmWatchHandle final : public WatchHandle {
 public:
  NmWatchHandle(std::shared_ptr<Bus> bus, std::uint64_t id) : bus_(std::move(bus)), id_(id) {}
  ~NmWatchHandle() override {
    // Waited for, so the sink hears nothing after the handle is gone.
    (void)bus_->run([&] { bus_->remove_watcher(id_); });
  }

 private:
  std::shared_ptr<Bus> bus_;
  std::uint64_t id_;
};

class NmBackend final : public Backend {
 public:
  explicit NmBackend(std::shared_ptr<Bus> bus) : bus_(std::move(bus)) {}
  ~NmBackend() override { bus_->stop(); }

  Result<std::vector<Entry>> entries() override {
    Result<std::vector<Profile>> list = fail(bus_->gone());
    if (!bus_->run([&] { list = bus_->profiles(); })) return fail(bus_->gone());
    if (!list) return fail(list.error());
    std::vector<Entry> out;
    for (const auto& p : *list) {
      std::string description = "NetworkManager " + p.type + " profile " + p.uuid;
      if (!p.vpn_service.empty()) description += " (" + p.vpn_service + ")";
      out.push_back(Entry{p.id, entry_type(p.type), std::move(description)});
    }
    return out;
  }

  Result<std::unique_ptr<Session>> dial(const DialRequest& request, std::shared_ptr<Reporter> reporter) override {
    Result<std::shared_ptr<DialState>> started = fail(bus_->gone());
    if (!bus_->run([&] { started = bus_->dial(request, std::move(reporter)); })) return fail(bus_->gone());
    if (!started) return fail(started.error());
    return std::unique_ptr<Session>(new NmSession(bus_, std::move(*started)));
  }

  Result<std::vector<LiveConnection>> live_connections() override {
    Result<std::vector<LiveConnection>> out = fail(bus_->gone());
    if (!bus_->run([&] { out = bus_->live_connections(); })) return fail(bus_->gone());
    return out;
  }

  Result<void> hangup_live(std::string_view id) override {
    Result<void> out = fail(bus_->gone());
    if (!bus_->run([&] { out = bus_->deactivate(std::string(id)); })) return fail(bus_->gone());
    return out;
  }

  Result<std::unique_ptr<WatchHandle>> watch(std::shared_ptr<WatchSink> sink) override {
    std::optional<std::uint64_t> id;
    if (!bus_->run([&] { id = bus_->add_watcher(std::move(sink)); })) return fail(bus_->gone());
    if (!id) return fail(bus_->gone());
    return std::unique_ptr<WatchHandle>(new NmWatchHandle(bus_, *id));
  }

  void shutdown() override { bus_->stop(); }

 private:
  std::shared_ptr<Bus> bus_;
};

}  // namespace

Capabilities NetworkManagerFactory::capabilities() const {
  return Capabilities{}
      .with(DialOption::credentials)
      .with_pause(State::retry_authentication)
      .with_watch(WatchKind::events)
      .with_hangup_by_id();
}

std::string NetworkManagerFactory::description() const {
  return "NetworkManager over D-Bus: connection profiles, activation, secret agent";
}

Result<void> NetworkManagerFactory::probe() const { return probe_with(BackendContext{}); }

Result<void> NetworkManagerFactory::probe_with(const BackendContext& context) const {
  std::optional<std::string> address;
  if (const auto it = context.options.find("bus_address"); it != context.options.end() && !it->second.empty())
    address = it->second;
  const std::string where = address.value_or(system_bus_address());
  try {
    auto connection = connect(address);
    bool owned = false;
    sdbus::createProxy(*connection, "org.freedesktop.DBus", "/org/freedesktop/DBus")
        ->callMethod("NameHasOwner").onInterface("org.freedesktop.DBus").withArguments(std::string(nm_service)).storeResultsTo(owned);
    if (!owned)
      return fail(make_error(Errc::backend_unavailable,
                             "org.freedesktop.NetworkManager is not owned on the system bus at " + where +
                                 " (is NetworkManager running?)"));
  } catch (const sdbus::Error& e) {
    return fail(make_error(Errc::backend_unavailable,
                           "cannot reach the system bus at " + where + ": " + e.getMessage()));
  }
  return {};
}

Result<std::unique_ptr<Backend>> NetworkManagerFactory::create(const BackendContext& context) {
  Config config;
  if (const auto it = context.options.find("bus_address"); it != context.options.end() && !it->second.empty())
    config.address = it->second;
  config.call_timeout = option_ms(context.options, "call_timeout_ms", config.call_timeout);
  config.hangup_timeout = option_ms(context.options, "hangup_timeout_ms", config.hangup_timeout);
  config.failed = context.failed;
  if (const auto it = context.options.find("record"); it != context.options.end()) config.record = it->second;
  try {
    auto bus = std::make_shared<Bus>(std::move(config));
    if (auto started = bus->start(); !started) return fail(started.error());
    return std::unique_ptr<Backend>(new NmBackend(std::move(bus)));
  } catch (const std::exception& e) {
    return fail(make_error(Errc::backend_unavailable, std::string("NetworkManager backend: ") + e.what()));
  }
}

std::shared_ptr<BackendFactory> make_factory() { return std::make_shared<NetworkManagerFactory>(); }

}  // namespace dialkit::networkmanager
