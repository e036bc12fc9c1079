// The Linux model: the emulator behind the fake table, controlled in-process.
#include "fake_api.hpp"
#include "harness.hpp"

namespace dialkit::ras::test {
namespace {

class FakeControl final : public Control {
 public:
  FakeControl() { fake.emulator().use_catalogue(true); }
  Counters counters() override {
    const auto r = fake.emulator().record();
    Counters c;
    c.dials = r.dials;
    c.resumes = r.resumes;
    c.dials_from_notifier = r.dials_from_notifier;
    c.hangups = r.hangups;
    c.notifications = r.notifications;
    c.zero_returns = r.zero_returns;
    c.suppressed = r.suppressed;
    c.eap_ui_calls = r.eap_ui_calls;
    c.live = fake.emulator().live();
    c.last_user = r.last_user;
    c.last_password = r.last_password;
    c.last_callback = r.last_callback;
    return c;
  }
  bool drop(HRASCONN h, DWORD error) override { return fake.emulator().drop(h, error); }
  HRASCONN external_connect(const std::string& entry) override { return fake.emulator().external_connect(entry); }
  bool external_disconnect(HRASCONN h) override { return fake.emulator().external_disconnect(h); }
  void set_notify_mode(NotifyMode mode) override {
    fake.emulator().set_notify_mode(static_cast<rasemu::NotifyMode>(static_cast<int>(mode)));
  }
  FakeRas fake;
};

}  // namespace

Model make_model() {
  auto control = std::make_unique<FakeControl>();
  FakeControl* raw = control.get();
  return Model{std::move(control), [raw]() -> Result<RasApi> { return raw->fake.api(); }, "fake"};
}

rasemu::Emulator& emulator_of(Control& control) { return dynamic_cast<FakeControl&>(control).fake.emulator(); }

}  // namespace dialkit::ras::test
