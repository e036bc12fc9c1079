// Fuzzes the NetworkManager backend's translation of D-Bus signal payloads into shared
// reports: dialkit::nm::Tracker, driven by a sequence of the calls the backend makes when it
// decodes a signal (Device.StateChanged, Active.StateChanged, VpnStateChanged, GetSecrets,
// InterfacesRemoved, NameOwnerChanged, a hang-up), with arbitrary uint32 states, reasons and
// flags; and the D-Bus error decoding (mapping.hpp, dbus_error). The first byte picks the
// tracker's options; each further call takes an opcode byte and its arguments.
//
// Properties: the reports are a life core accepts (DESIGN.md section 2 rule 2, checked with
// core's own transition_allowed, as the runtime applies it), nothing follows `disconnected`,
// an error rides only on disconnecting/disconnected, and the tracker's flags agree with what
// it reported.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz_support.hpp"
#include "life.hpp"
#include "mapping.hpp"
#include "tracker.hpp"

namespace {

using dialkit::State;
using dialkit::fuzz::require;
using dialkit::nm::Reports;
using dialkit::nm::Tracker;

// A state, reason or flags value: mostly small (NM's values are), sometimes any uint32.
std::uint32_t value(dialkit::fuzz::Bytes& in) {
  const std::uint8_t b = in.byte();
  if (b < 0xf0) return b;
  if (b < 0xf8) return in.u32();
  return 0xffffffffU - (b & 7U);
}

class LifeCheck {
 public:
  explicit LifeCheck(bool adopted) { life_.adopted = adopted; }

  void take(const Reports& reports, const Tracker& tracker) {
    for (const auto& r : reports) {
      require(!ended_, "no report after disconnected");
      require(dialkit::detail::transition_allowed(life_, r.state), "the reports are a legal life (rule 2)");
      require(!r.error || r.state == State::disconnected || r.state == State::disconnecting,
              "an error rides only on disconnecting or disconnected");
      require(!r.subentry, "NetworkManager reports no subentries");
      life_.last = r.state;
      if (r.state == State::connected) life_.connected_seen = true;
      if (r.state == State::disconnecting) life_.disconnecting_seen = true;
      if (dialkit::is_paused(r.state)) life_.disconnecting_seen = false;
      if (r.state == State::disconnected) ended_ = true;
    }
    if (life_.last) require(tracker.last() == life_.last, "the tracker's last state is the last one reported");
    require(tracker.ended() == ended_, "the tracker has ended exactly when it reported disconnected");
    if (ended_) require(tracker.released(), "disconnected releases the connection");
  }

 private:
  dialkit::detail::LifeSoFar life_;
  bool ended_ = false;
};

void check_dbus_error(dialkit::fuzz::Bytes& in) {
  const std::string name = in.text(64);
  const std::string message = in.text(64);
  const std::string context = in.text(16);
  const auto e = dialkit::nm::dbus_error(name, message, context);
  require(e.native_text == name, "a D-Bus error keeps its name");
  require(e.code == dialkit::nm::dbus_error_code(name), "dbus_error uses the table's code");
  require(!e.name().empty(), "the code has a name");
}

void check_reason(std::uint32_t reason) {
  const auto d = dialkit::nm::device_reason_error(reason);
  const auto a = dialkit::nm::active_reason_error(reason);
  require(d.native_code == reason && a.native_code == reason, "a reason error keeps NM's number");
  require(!d.native_text.empty() && !a.native_text.empty(), "a reason error has a name");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dialkit::fuzz::Bytes in(data, size);
  const std::uint8_t flags = in.byte();
  Tracker::Options options;
  options.mode = (flags & 1U) ? Tracker::Mode::watch : Tracker::Mode::dial;
  options.vpn = (flags & 2U) != 0;
  options.has_credentials = (flags & 4U) != 0;
  Tracker tracker(options);
  LifeCheck check(options.mode == Tracker::Mode::watch);

  // A watch adopts a connection it sees already under way (InterfacesAdded, or its start).
  if (options.mode == Tracker::Mode::watch) {
    const std::uint32_t active = value(in);
    std::optional<std::uint32_t> device;
    if (in.byte() & 1U) device = value(in);
    check.take(tracker.adopt(active, device), tracker);
  }

  for (int calls = 0; !in.empty() && calls < 256; ++calls) {
    switch (in.byte() % 11) {
      case 0: {
        const auto now = value(in), old = value(in), reason = value(in);
        check_reason(reason);
        check.take(tracker.device_state(now, old, reason), tracker);
        break;
      }
      case 1: {
        const auto state = value(in), reason = value(in);
        check.take(tracker.active_state(state, reason), tracker);
        break;
      }
      case 2: {
        const auto state = value(in), reason = value(in);
        check.take(tracker.vpn_state(state, reason), tracker);
        break;
      }
      case 3: {
        const auto secret_flags = value(in);
        const std::string setting = in.text(16);
        Reports out;
        const auto answer = tracker.secrets_requested(secret_flags, setting, out);
        check.take(out, tracker);
        if (answer == Tracker::SecretsAnswer::pause) require(tracker.paused(), "a paused answer pauses");
        if (options.mode == Tracker::Mode::watch)
          require(answer == Tracker::SecretsAnswer::refuse, "a watch never answers secrets");
        break;
      }
      case 4:
        // The backend resumes only a dial whose secrets request is pending.
        if (tracker.paused()) check.take(tracker.resumed(), tracker);
        break;
      case 5:
        tracker.secrets_cancelled();
        require(!tracker.paused(), "a cancelled request is no pause");
        break;
      case 6:
        check.take(tracker.active_removed(), tracker);
        require(tracker.released(), "a removed active connection is released");
        break;
      case 7:
        check.take(tracker.service_lost(in.text(32)), tracker);
        require(tracker.released(), "a lost service releases the connection");
        break;
      case 8:
        check.take(tracker.hangup_started(), tracker);
        require(!tracker.paused() || tracker.ended(), "a hang-up ends a pause");
        break;
      case 9:
        check_dbus_error(in);
        break;
      default:
        check_reason(value(in));
        break;
    }
  }
  return 0;
}
