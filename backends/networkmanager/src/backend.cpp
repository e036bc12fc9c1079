// The NetworkManager backend: sessions, watch handles and the Backend over the NM client
// (nm_client.*), and the factory.
#include "backend.hpp"

#include <dialkit/options.hpp>
#include <dialkit/shared_session.hpp>

#include "nm_client.hpp"

namespace dialkit::networkmanager {

namespace {

// The `bus_address` option; nothing: the system bus.
std::optional<std::string> bus_address(const BackendContext& context) {
  const auto it = context.options.find("bus_address");
  if (it == context.options.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// One dial as core's session sees it (plugin::SharedSession): calls go to the bus thread.
class NmDial {
 public:
  NmDial(std::shared_ptr<Client> client, std::shared_ptr<DialState> dial) : client_(std::move(client)), dial_(std::move(dial)) {}

  // Posted, not waited for: the session may be dropped from a slot on the bus thread.
  // The task holds no Client reference: the bus thread must never drop the last one.
  void drop() {
    if (!client_->loop().on_thread()) client_->loop().post([client = client_.get(), dial = dial_] { client->forget(dial); });
    else client_->forget(dial_);
  }

  Result<void> resume(const ResumeInput& input) {
    const auto* credentials = std::get_if<Credentials>(&input);
    if (!credentials) return fail(make_error(Errc::invalid_argument, "NetworkManager's pause takes credentials"));
    // Must not block on the bus thread's work: answer it there.
    client_->loop().post([client = client_.get(), dial = dial_, c = *credentials] { (void)client->resume(dial, c); });
    return {};
  }

  void hangup() {
    if (client_->loop().on_thread()) {
      client_->hangup(dial_);
      if (!dial_->tracker || !dial_->tracker->released()) client_->poll_released(dial_);
      return;
    }
    if (!client_->loop().run([&] { client_->hangup(dial_); })) return;
    std::unique_lock lock(dial_->mutex);
    dial_->released_cv.wait_for(lock, client_->config().hangup_timeout, [&] { return dial_->released; });
  }

  [[nodiscard]] SessionStatus status() const {
    std::lock_guard lock(dial_->mutex);
    return dial_->status;
  }

 private:
  std::shared_ptr<Client> client_;
  std::shared_ptr<DialState> dial_;
};

class NmWatchHandle final : public WatchHandle {
 public:
  NmWatchHandle(std::shared_ptr<Client> client, std::uint64_t id) : client_(std::move(client)), id_(id) {}
  ~NmWatchHandle() override {
    // Waited for, so the sink hears nothing after the handle is gone.
    (void)client_->loop().run([&] { client_->remove_watcher(id_); });
  }

 private:
  std::shared_ptr<Client> client_;
  std::uint64_t id_;
};

class NmBackend final : public Backend {
 public:
  explicit NmBackend(std::shared_ptr<Client> client) : client_(std::move(client)) {}
  ~NmBackend() override { client_->stop(); }

  Result<std::vector<Entry>> entries() override {
    const auto list = on_bus([&] { return client_->profiles(); });
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
    auto started = on_bus([&] { return client_->dial(request, std::move(reporter)); });
    if (!started) return fail(started.error());
    return std::unique_ptr<Session>(new plugin::SharedSession(std::make_shared<NmDial>(client_, std::move(*started))));
  }

  Result<std::vector<LiveConnection>> live_connections() override {
    return on_bus([&] { return client_->live_connections(); });
  }

  Result<void> hangup_live(std::string_view id) override {
    return on_bus([&] { return client_->deactivate(std::string(id)); });
  }

  Result<std::unique_ptr<WatchHandle>> watch(std::shared_ptr<WatchSink> sink) override {
    std::optional<std::uint64_t> id;
    if (!client_->loop().run([&] { id = client_->add_watcher(std::move(sink)); })) return fail(client_->loop().gone());
    if (!id) return fail(client_->loop().gone());
    return std::unique_ptr<WatchHandle>(new NmWatchHandle(client_, *id));
  }

  void shutdown() override { client_->stop(); }

 private:
  // `work`'s result, run on the bus thread; gone() once that thread is.
  template <class Work>
  std::invoke_result_t<Work> on_bus(Work&& work) {
    std::invoke_result_t<Work> out = fail(client_->loop().gone());
    if (!client_->loop().run([&] { out = work(); })) return fail(client_->loop().gone());
    return out;
  }

  std::shared_ptr<Client> client_;
};

}  // namespace

NetworkManagerFactory::NetworkManagerFactory()
    : Factory({.name = backend_name,
               .description = backend_description,
               .capabilities = Capabilities{}
                                   .with(DialOption::credentials)
                                   .with_pause(State::retry_authentication)
                                   .with_watch(WatchKind::events)
                                   .with_hangup_by_id()}) {}

Result<void> NetworkManagerFactory::probe() const { return probe_with(BackendContext{}); }

Result<void> NetworkManagerFactory::probe_with(const BackendContext& context) const {
  const auto address = bus_address(context);
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
  config.address = bus_address(context);
  for (auto [key, value] : {std::pair{"call_timeout_ms", &config.call_timeout}, std::pair{"hangup_timeout_ms", &config.hangup_timeout}}) {
    auto ms = plugin::milliseconds_option(context.options, backend_name, key, *value);
    if (!ms) return fail(ms.error());
    *value = *ms;
  }
  config.failed = context.failed;
  if (const auto it = context.options.find("record"); it != context.options.end()) config.record = it->second;
  try {
    auto client = std::make_shared<Client>(std::move(config));
    if (auto started = client->start(); !started) return fail(started.error());
    return std::unique_ptr<Backend>(new NmBackend(std::move(client)));
  } catch (const std::exception& e) {
    return fail(make_error(Errc::backend_unavailable, std::string("NetworkManager backend: ") + e.what()));
  }
}

std::shared_ptr<BackendFactory> make_factory() { return std::make_shared<NetworkManagerFactory>(); }

}  // namespace dialkit::networkmanager
