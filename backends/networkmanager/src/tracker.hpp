// The translation from NetworkManager's signals to shared reports, for one active connection,
// with no D-Bus in it: the backend feeds it what it reads off the bus, and the golden tests feed
// it recorded signal sequences. It keeps the reports a legal life (DESIGN.md section 2 rule 2)
// so core never has to refuse one. Not thread-safe: the backend calls it from its bus thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <dialkit/backend.hpp>

#include "mapping.hpp"

namespace dialkit::nm {

using Reports = std::vector<NativeReport>;

// NMSecretAgentGetSecretsFlags bits the agent looks at.
inline constexpr std::uint32_t secrets_flag_request_new = 0x2;

class Tracker {
 public:
  enum class Mode : std::uint8_t { dial, watch };
  struct Options {
    Mode mode = Mode::dial;
    // VPN: the device is the base connection's, so VPN and active-connection states rule.
    bool vpn = false;
    // The dial carries credentials the secret agent may answer with.
    bool has_credentials = false;
  };
  enum class SecretsAnswer : std::uint8_t { credentials, pause, refuse };

  explicit Tracker(Options options) : options_(options) {}

  // Device.StateChanged(new, old, reason) of the connection's device.
  Reports device_state(std::uint32_t new_state, std::uint32_t old_state, std::uint32_t reason);
  // Connection.Active.StateChanged(state, reason).
  Reports active_state(std::uint32_t state, std::uint32_t reason);
  // VPN.Connection.VpnStateChanged(state, reason).
  Reports vpn_state(std::uint32_t state, std::uint32_t reason);
  // The secret agent got GetSecrets for this connection: answer with the dial's credentials,
  // pause for new ones, or refuse (hanging up, ended).
  SecretsAnswer secrets_requested(std::uint32_t flags, const std::string& setting, Reports& out);
  // resume(Credentials) answered the pending request.
  Reports resumed();
  // A pending request was cancelled by NM (it gave up waiting, or the activation ended).
  void secrets_cancelled() { paused_ = false; }
  // The active-connection object left the bus (InterfacesRemoved).
  Reports active_removed();
  // NetworkManager or the bus went away.
  // `native`: what told: NameOwnerChanged (NM left the bus) or the bus connection's end.
  Reports service_lost(const std::string& why, const std::string& native = "NameOwnerChanged");
  // The user hangs up: `disconnecting` if the dial was under way; core reports the end.
  Reports hangup_started();
  // Watch mode: a connection seen already under way starts from its current states.
  Reports adopt(std::uint32_t active_state, std::optional<std::uint32_t> device_state);

  // The native connection is gone (hangup may return).
  [[nodiscard]] bool released() const noexcept { return released_; }
  [[nodiscard]] bool ended() const noexcept { return ended_; }
  [[nodiscard]] bool paused() const noexcept { return paused_; }
  [[nodiscard]] bool hanging_up() const noexcept { return hanging_up_; }
  [[nodiscard]] std::optional<State> last() const noexcept { return last_; }
  [[nodiscard]] const Options& options() const noexcept { return options_; }

 private:
  bool allowed(State next) const noexcept;
  void emit(Reports& out, State state, std::int64_t code, std::string name,
            std::optional<Error> error = std::nullopt, std::string reason = {});
  // Ends the connection from a terminal native state: with `how`'s error, or without one (an
  // established link that ended for a deliberate reason).
  void end(Reports& out, std::int64_t code, std::string name, ReasonEnd how);
  void need_auth_report(Reports& out, State state, std::string reason);

  Options options_;
  std::optional<State> last_;
  std::int64_t last_code_ = -1;
  std::string last_name_;
  bool started_ = false;   // the device entered our activation (PREPARE or later)
  bool connected_ = false;
  bool disconnecting_ = false;
  bool ended_ = false;
  bool released_ = false;
  bool hanging_up_ = false;
  bool paused_ = false;
  bool credentials_sent_ = false;
  bool device_terminal_ = false;
  std::optional<std::uint32_t> active_end_reason_;  // AC DEACTIVATED seen before the device ended
};

}  // namespace dialkit::nm
