// The NetworkManager client (see nm_client.hpp).
#include "nm_client.hpp"

#include <algorithm>
#include <thread>

namespace dialkit::networkmanager {

using nm::Reports;
using nm::Tracker;
using std::chrono::milliseconds;

std::string entry_type(const std::string& nm_type) {
  static const std::map<std::string, std::string, std::less<>> names{
      {"802-3-ethernet", "ethernet"}, {"802-11-wireless", "wifi"}, {"pppoe", "pppoe"},
      {"gsm", "gsm"},                 {"cdma", "cdma"},            {"vpn", "vpn"},
      {"bluetooth", "bluetooth"},     {"adsl", "adsl"},            {"wireguard", "vpn"}};
  const auto it = names.find(nm_type);
  return it == names.end() ? nm_type : it->second;
}

template <class Match, class Change>
void Client::each_dial(Match match, const std::string& line, Change change) {
  for (auto& d : std::vector(dials_)) {
    if (!d->tracker || !match(*d)) continue;
    record(line);
    deliver(d, change(*d->tracker));
  }
}

template <class Match, class Change>
void Client::each_watched(Match match, Change change, bool drop) {
  for (auto& [id, w] : watchers_) {
    for (auto it = w.connections.begin(); it != w.connections.end();) {
      auto& c = it->second;
      if (!match(c)) {
        ++it;
        continue;
      }
      deliver_watch(w, c, change(c.tracker));
      it = drop || c.tracker.ended() ? w.connections.erase(it) : std::next(it);
    }
  }
}

Result<void> Client::start() {
  try {
    auto connection = connect(config_.address);
    connection->setMethodCallTimeout(static_cast<std::uint64_t>(config_.call_timeout.count()) * 1000u);
    loop_ = std::make_unique<EventLoop>(std::move(connection), config_.failed);
  } catch (const sdbus::Error& e) {
    return fail(make_error(Errc::backend_unavailable,
                           "cannot connect to the system bus at " + config_.address.value_or(system_bus_address()) +
                               ": " + e.getMessage()));
  }
  if (!config_.record.empty()) record_.open(config_.record, std::ios::app);
  try {
    auto& connection = loop_->connection();
    nm_match_ = connection.addMatch(std::string("type='signal',sender='") + nm_service + "'",
                                    [this](sdbus::Message& m) { on_signal(m); });
    owner_match_ = connection.addMatch(
        std::string("type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
                    "member='NameOwnerChanged',arg0='") + nm_service + "'",
        [this](sdbus::Message& m) { on_name_owner(m); });
    agent_ = std::make_unique<SecretAgent>(connection, static_cast<SecretAgent::Handler&>(*this));
    nm_owner_ = resolve_owner();
    set_nm_present(!nm_owner_.empty());
  } catch (const sdbus::Error& e) {
    return fail(bus_error(e, "setting up the NetworkManager client"));
  }
  return loop_->start(EventLoop::Hooks{[this] { flush(); },
                                       [this](const std::string& why) { connection_lost(why); },
                                       [this] { abandoned(); }});
}

void Client::stop() {
  std::call_once(stop_once_, [this] {
    if (!loop_) return;
    loop_->stop();
    // Objects that own sd-bus slots go before the connection they live on.
    agent_.reset();
    nm_match_.reset();
    owner_match_.reset();
    loop_->close();
  });
}

void Client::abandoned() {
  outbox_.clear();
  flushing_ = false;
  for (const auto& d : dials_) {  // a hang-up waiting for the dial's end need not wait
    std::lock_guard lock(d->mutex);
    d->released = true;
    d->released_cv.notify_all();
  }
}

void Client::connection_lost(const std::string& why) {
  set_nm_present(false, why, bus_disconnected);
  // Those started while NM seemed absent.
  each_dial([](const DialState&) { return true; }, "lost", [&](Tracker& t) { return t.service_lost(why, bus_disconnected); });
}

void Client::record(const std::string& line) {
  if (record_.is_open()) record_ << line << '\n' << std::flush;
}

void Client::set_nm_present(bool present, const std::string& why, const std::string& native) {
  const bool was = nm_present_;
  nm_present_ = present;
  if (!present) {
    if (agent_) agent_->forget_registration();
    nm_owner_.clear();
    if (was) {
      each_dial([](const DialState&) { return true; }, "lost", [&](Tracker& t) { return t.service_lost(why, native); });
      each_watched([](const Watched&) { return true; }, [&](Tracker& t) { return t.service_lost(why, native); }, true);
    }
    device_names_.clear();
    return;
  }
  // NetworkManager (re)appeared: register the agent again, and show a watch what is up.
  if (!dials_.empty() || !watchers_.empty()) register_agent();
  for (auto& [id, w] : watchers_) adopt_all(w);
}

void Client::adopt_all(Watcher& w) {
  try {
    ManagedObjects objects;
    proxy("/org/freedesktop")->callMethod("GetManagedObjects").onInterface(objmgr_iface).storeResultsTo(objects);
    for (const auto& [path, ifaces] : objects)
      if (const auto d = ifaces.find(device_iface); d != ifaces.end())
        if (auto name = variant_as<std::string>(d->second, "Interface")) device_names_[path] = *name;
    for (const auto& [path, ifaces] : objects)
      if (const auto it = ifaces.find(active_iface); it != ifaces.end()) adopt(w, path, it->second, true);
  } catch (const sdbus::Error&) {
    // NM without an ObjectManager (old or mocked): new activations are still seen.
  }
}

std::string Client::resolve_owner() {
  std::string owner;
  try {
    sdbus::createProxy(loop_->connection(), "org.freedesktop.DBus", "/org/freedesktop/DBus")
        ->callMethod("GetNameOwner").onInterface("org.freedesktop.DBus").withArguments(std::string(nm_service)).storeResultsTo(owner);
  } catch (const sdbus::Error& e) {
    if (e.getName() == "org.freedesktop.DBus.Error.NameHasNoOwner") return {};
    throw;
  }
  return owner;
}

bool Client::ensure_nm() {
  if (loop_->broken()) return false;
  if (nm_present_) return true;
  try {
    nm_owner_ = resolve_owner();
  } catch (const sdbus::Error&) {
    return false;  // the bus did not answer; a broken connection is seen by the loop
  }
  if (!nm_owner_.empty()) set_nm_present(true);
  return nm_present_;
}

Error Client::unavailable() const {
  const std::string where = config_.address.value_or(system_bus_address());
  if (loop_->broken())
    return make_error(Errc::backend_unavailable, "the connection to the D-Bus system bus at " + where +
                                                     " was lost (" + loop_->lost_reason() +
                                                     "); this backend stays unusable: create a new Runtime");
  return make_error(Errc::backend_unavailable, "org.freedesktop.NetworkManager is not on the system bus at " + where +
                                                   " (is NetworkManager running?)");
}

void Client::register_agent() {
  if (!nm_present_ || loop_->broken()) return;
  agent_->register_with_nm();
}

std::string Client::device_name(const std::string& device_path) {
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

std::string Client::device_of_active(const std::string& active_path) {
  try {
    const auto devices = property<std::vector<sdbus::ObjectPath>>(active_path, active_iface, "Devices");
    if (!devices.empty()) return device_name(devices.front());
  } catch (const sdbus::Error&) {
  }
  return {};
}

Result<std::vector<Profile>> Client::profiles() {
  if (loop_->broken()) return fail(unavailable());
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

Result<std::shared_ptr<DialState>> Client::dial(const DialRequest& request, std::shared_ptr<Reporter> reporter) {
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

void Client::deliver(const std::shared_ptr<DialState>& dial, Reports reports) {
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

void Client::deliver_watch(Watcher& w, const Watched& c, Reports reports) {
  if (reports.empty()) return;
  outbox_.push_back([sink = w.sink, id = c.path, entry = c.entry, reports = std::move(reports)]() mutable {
    for (auto& r : reports) sink->report(id, entry, std::move(r));
  });
}

void Client::flush() {
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

void Client::answer_pending_with_error(DialState& dial, const char* name, const char* message) {
  if (!dial.pending_secrets) return;
  refuse_secrets(std::move(*dial.pending_secrets), name, message);
  dial.pending_secrets.reset();
}

void Client::hangup(const std::shared_ptr<DialState>& dial) {
  if (!dial->tracker || dial->hangup_requested) return;
  dial->hangup_requested = true;
  record("hangup");
  answer_pending_with_error(*dial, agent_user_canceled, "the dial was hung up");
  auto reports = dial->tracker->hangup_started();
  if (!dial->tracker->released()) {
    if (loop_->broken() || !nm_present_) {
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

void Client::poll_released(const std::shared_ptr<DialState>& dial) {
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

void Client::forget(const std::shared_ptr<DialState>& dial) {
  answer_pending_with_error(*dial, agent_canceled, "the dial was dropped");
  std::erase(dials_, dial);
}


Result<void> Client::resume(const std::shared_ptr<DialState>& dial, const Credentials& credentials) {
  if (!dial->tracker || !dial->pending_secrets)
    return fail(make_error(Errc::invalid_state, "NetworkManager is not waiting for secrets from this dial"));
  dial->credentials = credentials;
  auto pending = std::move(*dial->pending_secrets);
  dial->pending_secrets.reset();
  auto answered = answer_secrets(std::move(pending), dial->pending_setting, credentials);
  record("resume");
  deliver(dial, dial->tracker->resumed());
  return answered;
}


void Client::get_secrets(sdbus::Result<Settings>&& result, const std::string& connection_path,
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
      (void)answer_secrets(std::move(result), setting, *dial->credentials);
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

void Client::cancel_secrets(const std::string& connection_path, const std::string& setting) {
  for (auto& d : dials_) {
    if (d->profile.path != connection_path || !d->pending_secrets || d->pending_setting != setting) continue;
    record("cancel " + setting);
    answer_pending_with_error(*d, agent_canceled, "NetworkManager cancelled the request");
    if (d->tracker) d->tracker->secrets_cancelled();
  }
}

void Client::on_signal(sdbus::Message& msg) {
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
      on_active_signal(path, "active", &Tracker::active_state, state, reason);
    } else if (iface == vpn_iface && member == "VpnStateChanged") {
      std::uint32_t state = 0, reason = 0;
      msg >> state >> reason;
      on_active_signal(path, "vpn", &Tracker::vpn_state, state, reason);
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

void Client::on_name_owner(sdbus::Message& msg) {
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

void Client::on_device_state(const std::string& path, std::uint32_t now, std::uint32_t old, std::uint32_t reason) {
  const auto name = device_name(path);
  if (name.empty()) return;
  each_dial([&](const DialState& d) { return d.device == name; },
            "device " + std::to_string(now) + " " + std::to_string(old) + " " + std::to_string(reason),
            [&](Tracker& t) { return t.device_state(now, old, reason); });
  each_watched([&](const Watched& c) { return c.device == name; },
               [&](Tracker& t) { return t.device_state(now, old, reason); });
}

void Client::on_active_signal(const std::string& path, const char* kind,
                              Reports (Tracker::*change)(std::uint32_t, std::uint32_t), std::uint32_t state,
                              std::uint32_t reason) {
  each_dial([&](const DialState& d) { return d.active_path == path; },
            std::string(kind) + " " + std::to_string(state) + " " + std::to_string(reason),
            [&](Tracker& t) { return (t.*change)(state, reason); });
  each_watched([&](const Watched& c) { return c.path == path; }, [&](Tracker& t) { return (t.*change)(state, reason); });
}

void Client::on_active_added(const std::string& path, const Dict& props) {
  for (auto& [id, w] : watchers_) adopt(w, path, props, false);
}

void Client::adopt(Watcher& w, const std::string& path, const Dict& props, bool ask_device) {
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

void Client::on_active_removed(const std::string& path) {
  each_dial([&](const DialState& d) { return d.active_path == path; }, "removed",
            [](Tracker& t) { return t.active_removed(); });
  each_watched([&](const Watched& c) { return c.path == path; }, [](Tracker& t) { return t.active_removed(); }, true);
}

Result<std::vector<LiveConnection>> Client::live_connections() {
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
        c.state = plugin::map_state(nm::active_states, state, State::opening_port).state;
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

Result<void> Client::deactivate(const std::string& active_path) {
  if (!ensure_nm()) return fail(unavailable());
  try {
    proxy(nm_path)->callMethod("DeactivateConnection").onInterface(nm_iface).withArguments(sdbus::ObjectPath(active_path));
  } catch (const sdbus::Error& e) {
    return fail(bus_error(e, "DeactivateConnection " + active_path));
  }
  return {};
}

std::uint64_t Client::add_watcher(std::shared_ptr<WatchSink> sink) {
  const auto id = next_watcher_++;
  auto& w = watchers_[id];
  w.sink = std::move(sink);
  if (ensure_nm()) adopt_all(w);
  return id;
}

void Client::remove_watcher(std::uint64_t id) { watchers_.erase(id); }

}  // namespace dialkit::networkmanager
