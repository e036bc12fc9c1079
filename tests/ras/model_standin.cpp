// The Windows model: the real adapter (load_system_api: rasapi32.dll by LoadLibrary and
// GetProcAddress), which under wine with WINEDLLOVERRIDES=rasapi32=n,b is the stand-in beside
// the test; the stand-in's control exports drive it. A wrong DLL fails loudly: wine's builtin
// stub would make every dial fail, which must never look like a pass.
#include <stdexcept>

#include "harness.hpp"
#include "standin_control.h"

namespace dialkit::ras::test {
namespace {

template <class F>
F control_function(HMODULE module, const char* name) {
  FARPROC p = ::GetProcAddress(module, name);
  if (!p)
    throw std::runtime_error(std::string("rasapi32.dll has no ") + name +
                             ": it is not the stand-in (is WINEDLLOVERRIDES=rasapi32=n,b set, and "
                             "rasapi32.dll beside the test?)");
  return reinterpret_cast<F>(reinterpret_cast<void (*)()>(p));
}

class StandinControl final : public Control {
 public:
  StandinControl() {
    auto api = load_system_api();
    if (!api) throw std::runtime_error("cannot load rasapi32.dll: " + api.error().message());
    api_ = std::move(*api);  // keeps the DLL loaded
    HMODULE module = ::GetModuleHandleW(L"rasapi32.dll");
    counters_ = control_function<StandinCountersFn>(module, "StandinGetCounters");
    drop_ = control_function<StandinDropFn>(module, "StandinDrop");
    connect_ = control_function<StandinExternalConnectFn>(module, "StandinExternalConnect");
    disconnect_ = control_function<StandinExternalDisconnectFn>(module, "StandinExternalDisconnect");
    notify_mode_ = control_function<StandinSetNotifyModeFn>(module, "StandinSetNotifyMode");
    if (counters_(&baseline_) != STANDIN_MAGIC) throw std::runtime_error("rasapi32.dll is not the stand-in");
    // One stand-in serves every Rig of this process (Catch2 sections): count from here.
    notify_mode_(static_cast<int>(NotifyMode::working));
  }
  Counters counters() override {
    ::StandinCounters s{};
    counters_(&s);
    Counters c;
    c.dials = s.dials - baseline_.dials;
    c.resumes = s.resumes - baseline_.resumes;
    c.dials_from_notifier = s.dials_from_notifier - baseline_.dials_from_notifier;
    c.hangups = s.hangups - baseline_.hangups;
    c.notifications = s.notifications - baseline_.notifications;
    c.zero_returns = s.zero_returns - baseline_.zero_returns;
    c.suppressed = s.suppressed - baseline_.suppressed;
    c.eap_ui_calls = s.eap_ui_calls - baseline_.eap_ui_calls;
    c.live = s.live - baseline_.live;  // a stuck hang-up of an earlier case stays live
    c.last_user = s.last_user;
    c.last_password = s.last_password;
    c.last_callback = s.last_callback;
    return c;
  }
  bool drop(HRASCONN h, DWORD error) override { return drop_(h, error) != 0; }
  HRASCONN external_connect(const std::string& entry) override {
    return static_cast<HRASCONN>(connect_(entry.c_str()));
  }
  bool external_disconnect(HRASCONN h) override { return disconnect_(h) != 0; }
  void set_notify_mode(NotifyMode mode) override { notify_mode_(static_cast<int>(mode)); }
  const RasApi& api() const { return api_; }

 private:
  RasApi api_;
  ::StandinCounters baseline_{};
  StandinCountersFn counters_ = nullptr;
  StandinDropFn drop_ = nullptr;
  StandinExternalConnectFn connect_ = nullptr;
  StandinExternalDisconnectFn disconnect_ = nullptr;
  StandinSetNotifyModeFn notify_mode_ = nullptr;
};

}  // namespace

Model make_model() {
  auto control = std::make_unique<StandinControl>();
  std::string origin = control->api().origin;
  // The factory loads the adapter itself, as the plugin does: the real code path.
  return Model{std::move(control), ApiLoader(&load_system_api), std::move(origin)};
}

}  // namespace dialkit::ras::test
