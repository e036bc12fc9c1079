// The NetworkManager client: NM's Settings, ActiveConnection and Device calls, its signals
// (device, active-connection and VPN state changes, objects added and removed, NM's name
// changing owner), the dials and watches they feed (each connection through a Tracker), and
// the secret agent's answers. It makes every NM call on the bus thread (event_loop.*),
// synchronously, so signals that arrive meanwhile are dispatched after the call returned and
// the caller's bookkeeping is done. Reports leave from the bus thread with no lock held.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <dialkit/backend.hpp>

#include "dbus_names.hpp"
#include "event_loop.hpp"
#include "secret_agent.hpp"
#include "tracker.hpp"

namespace dialkit::networkmanager {

struct Config {
  std::optional<std::string> address;
  std::chrono::milliseconds call_timeout{10000};
  std::chrono::milliseconds hangup_timeout{10000};
  std::string record;
  BackendFailure failed;  // BackendContext::failed: the bus thread threw
};

struct Profile {
  std::string path;
  std::string id;
  std::string uuid;
  std::string type;
  std::string vpn_service;
};

// NM's connection.type names as the entry types the CLI shows.
[[nodiscard]] std::string entry_type(const std::string& nm_type);

// One dial, as the bus thread sees it.
struct DialState {
  const std::string entry;
  const Profile profile;
  // Bus thread only.
  std::optional<Credentials> credentials;
  const std::shared_ptr<Reporter> reporter;
  std::optional<nm::Tracker> tracker;
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

class Client final : private SecretAgent::Handler {
 public:
  explicit Client(Config config) : config_(std::move(config)) {}
  ~Client() override { stop(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects, subscribes, exports the agent and starts the bus thread.
  Result<void> start();
  void stop();

  [[nodiscard]] EventLoop& loop() noexcept { return *loop_; }
  [[nodiscard]] const Config& config() const noexcept { return config_; }

  // Bus thread only.
  Result<std::vector<Profile>> profiles();
  Result<std::shared_ptr<DialState>> dial(const DialRequest& request, std::shared_ptr<Reporter> reporter);
  void hangup(const std::shared_ptr<DialState>& dial);
  void poll_released(const std::shared_ptr<DialState>& dial);
  void forget(const std::shared_ptr<DialState>& dial);
  Result<void> resume(const std::shared_ptr<DialState>& dial, const Credentials& credentials);
  Result<std::vector<LiveConnection>> live_connections();
  Result<void> deactivate(const std::string& active_path);
  std::uint64_t add_watcher(std::shared_ptr<WatchSink> sink);
  void remove_watcher(std::uint64_t id);

 private:
  // A connection someone else started, followed for a watch.
  struct Watched {
    std::string path;
    std::string entry;
    std::string device;
    nm::Tracker tracker;
  };
  struct Watcher {
    std::shared_ptr<WatchSink> sink;
    std::map<std::string, Watched> connections;  // by active-connection path
  };

  std::unique_ptr<sdbus::IProxy> proxy(const std::string& path) {
    return sdbus::createProxy(loop_->connection(), nm_service, path);
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
  // The event loop's hooks.
  void connection_lost(const std::string& why);
  void abandoned();

  // Signal handlers (bus thread).
  void on_signal(sdbus::Message& msg);
  void on_name_owner(sdbus::Message& msg);
  void on_device_state(const std::string& path, std::uint32_t now, std::uint32_t old, std::uint32_t reason);
  // Connection.Active.StateChanged or VPN.Connection.VpnStateChanged (`kind` in the recording).
  void on_active_signal(const std::string& path, const char* kind,
                        nm::Reports (nm::Tracker::*change)(std::uint32_t, std::uint32_t), std::uint32_t state,
                        std::uint32_t reason);
  void on_active_added(const std::string& path, const Dict& props);
  void on_active_removed(const std::string& path);
  // `ask_device`: read the device's current state (a watch starting, or NM reappearing). Not for
  // an activation announced by a signal: its device's state changes are queued behind that
  // signal, and a state read now would skip them (a busy client would see only the last).
  void adopt(Watcher& w, const std::string& path, const Dict& props, bool ask_device);
  // Adopts every active connection NM lists now (its ObjectManager), learning device names.
  void adopt_all(Watcher& w);
  // For each dial with a tracker that `match`es: records `line` and delivers what `change`
  // made its tracker report.
  template <class Match, class Change>
  void each_dial(Match match, const std::string& line, Change change);
  // The same for each watched connection that `match`es, in every watch; drops those that
  // ended, or all it touched when `drop`.
  template <class Match, class Change>
  void each_watched(Match match, Change change, bool drop = false);

  // SecretAgent::Handler (bus thread).
  [[nodiscard]] const std::string& nm_owner() const override { return nm_present_ ? nm_owner_ : no_owner_; }
  void get_secrets(sdbus::Result<Settings>&& result, const std::string& connection_path,
                   const std::string& setting, std::uint32_t flags) override;
  void cancel_secrets(const std::string& connection_path, const std::string& setting) override;

  void deliver(const std::shared_ptr<DialState>& dial, nm::Reports reports);
  void deliver_watch(Watcher& w, const Watched& c, nm::Reports reports);
  void flush();
  void record(const std::string& line);
  static void answer_pending_with_error(DialState& dial, const char* name, const char* message);

  const Config config_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<SecretAgent> agent_;
  sdbus::Slot nm_match_;
  sdbus::Slot owner_match_;
  std::once_flag stop_once_;

  // Bus thread only.
  bool nm_present_ = false;
  std::string nm_owner_;  // NM's unique name while nm_present_
  const std::string no_owner_;
  std::vector<std::shared_ptr<DialState>> dials_;
  std::map<std::string, std::string> device_names_;  // object path -> interface
  std::map<std::uint64_t, Watcher> watchers_;
  std::uint64_t next_watcher_ = 1;
  std::ofstream record_;
  std::deque<std::function<void()>> outbox_;  // reports waiting to leave (see flush)
  bool flushing_ = false;
};

}  // namespace dialkit::networkmanager
