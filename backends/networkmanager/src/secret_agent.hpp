// The secret agent NetworkManager asks for a dial's secrets: the object
// /org/freedesktop/NetworkManager/SecretAgent with GetSecrets, CancelGetSecrets, SaveSecrets and
// DeleteSecrets, answering NetworkManager's unique name only (as libnm's agent checks: on a bus
// whose policy lets others call us, a GetSecrets from anyone else must not get a password).
// What to answer is the NM client's business (nm_client.*); this file speaks the protocol.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <dialkit/backend.hpp>

#include "dbus_names.hpp"

namespace dialkit::networkmanager {

inline constexpr const char* agent_no_secrets = "org.freedesktop.NetworkManager.SecretAgent.NoSecrets";
inline constexpr const char* agent_canceled = "org.freedesktop.NetworkManager.SecretAgent.AgentCanceled";
inline constexpr const char* agent_user_canceled = "org.freedesktop.NetworkManager.SecretAgent.UserCanceled";

class SecretAgent {
 public:
  // Who decides the answers (the NM client), called on the bus thread.
  class Handler {
   public:
    virtual ~Handler() = default;
    // NetworkManager's unique name while it is on the bus, else empty.
    [[nodiscard]] virtual const std::string& nm_owner() const = 0;
    // Answer `result` now or keep it pending.
    virtual void get_secrets(sdbus::Result<Settings>&& result, const std::string& connection_path,
                             const std::string& setting, std::uint32_t flags) = 0;
    virtual void cancel_secrets(const std::string& connection_path, const std::string& setting) = 0;
  };

  // Exports the agent object on `connection`; throws sdbus::Error.
  SecretAgent(sdbus::IConnection& connection, Handler& handler);

  // Registers with NM's AgentManager unless done since the last forget_registration().
  // Without an agent NM asks other agents; a dial needing secrets then fails with NO_SECRETS.
  void register_with_nm();
  // NetworkManager left: its next instance needs a new registration.
  void forget_registration() noexcept { registered_ = false; }

 private:
  // Whether the method call being handled comes from NetworkManager's current unique name.
  [[nodiscard]] bool caller_is_nm() const;
  // Throws PermissionDenied (sdbus-c++ sends it as the error reply) unless caller_is_nm().
  void refuse_unless_nm() const;

  sdbus::IConnection& connection_;
  Handler& handler_;
  std::unique_ptr<sdbus::IObject> object_;
  bool registered_ = false;
  std::string register_error_;
};

// Answers a pending GetSecrets with `credentials`, shaped for the setting NM asked about.
Result<void> answer_secrets(sdbus::Result<Settings>&& pending, const std::string& setting,
                            const Credentials& credentials);
// Answers a pending GetSecrets with the error `name` (a reply that cannot be sent is dropped).
void refuse_secrets(sdbus::Result<Settings>&& pending, const char* name, const char* message);

}  // namespace dialkit::networkmanager
