// The secret agent's D-Bus side (see secret_agent.hpp).
#include "secret_agent.hpp"

#include <unistd.h>

#include <atomic>
#include <vector>

#include <dialkit/secret.hpp>

namespace dialkit::networkmanager {

namespace {

constexpr const char* agent_manager_path = "/org/freedesktop/NetworkManager/AgentManager";
constexpr const char* agent_manager_iface = "org.freedesktop.NetworkManager.AgentManager";
constexpr const char* agent_path = "/org/freedesktop/NetworkManager/SecretAgent";
constexpr const char* agent_iface = "org.freedesktop.NetworkManager.SecretAgent";
// What libnm's agent answers a caller that is not NetworkManager.
constexpr const char* agent_permission_denied = "org.freedesktop.NetworkManager.SecretAgent.PermissionDenied";
constexpr const char* not_nm = "Request by non-NetworkManager process rejected";

}  // namespace

SecretAgent::SecretAgent(sdbus::IConnection& connection, Handler& handler)
    : connection_(connection), handler_(handler), object_(sdbus::createObject(connection, agent_path)) {
  // Every agent method answers NetworkManager only; anyone else gets PermissionDenied and
  // learns nothing, cancels nothing.
  object_->registerMethod("GetSecrets")
      .onInterface(agent_iface)
      .implementedAs([this](sdbus::Result<Settings>&& result, const Settings&, const sdbus::ObjectPath& path,
                            const std::string& setting, const std::vector<std::string>&, std::uint32_t flags) {
        if (!caller_is_nm()) {
          result.returnError(sdbus::Error(agent_permission_denied, not_nm));
          return;
        }
        handler_.get_secrets(std::move(result), path, setting, flags);
      });
  object_->registerMethod("CancelGetSecrets")
      .onInterface(agent_iface)
      .implementedAs([this](const sdbus::ObjectPath& path, const std::string& setting) {
        refuse_unless_nm();
        handler_.cancel_secrets(path, setting);
      });
  // dialkit keeps no secrets: saving and deleting are accepted (from NM) and ignored.
  object_->registerMethod("SaveSecrets").onInterface(agent_iface).implementedAs([this](const Settings&, const sdbus::ObjectPath&) {
    refuse_unless_nm();
  });
  object_->registerMethod("DeleteSecrets").onInterface(agent_iface).implementedAs([this](const Settings&, const sdbus::ObjectPath&) {
    refuse_unless_nm();
  });
  object_->finishRegistration();
}

void SecretAgent::register_with_nm() {
  if (registered_) return;
  try {
    static std::atomic<unsigned> counter{0};
    const std::string identifier = "org.dialkit.agent.p" + std::to_string(::getpid()) + "." + std::to_string(++counter);
    sdbus::createProxy(connection_, nm_service, agent_manager_path)
        ->callMethod("Register").onInterface(agent_manager_iface).withArguments(identifier);
    registered_ = true;
    register_error_.clear();
  } catch (const sdbus::Error& e) {
    register_error_ = e.getName() + ": " + e.getMessage();
  }
}

bool SecretAgent::caller_is_nm() const {
  const std::string& owner = handler_.nm_owner();
  if (owner.empty()) return false;
  const sdbus::Message* message = object_->getCurrentlyProcessedMessage();
  return message != nullptr && message->getSender() == owner;
}

void SecretAgent::refuse_unless_nm() const {
  if (!caller_is_nm()) throw sdbus::Error(agent_permission_denied, not_nm);
}

Result<void> answer_secrets(sdbus::Result<Settings>&& pending, const std::string& setting,
                            const Credentials& credentials) {
  Settings secrets;
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
  try {
    pending.returnResults(secrets);
  } catch (const sdbus::Error& e) {
    return fail(bus_error(e, "answering GetSecrets"));
  }
  return {};
}

void refuse_secrets(sdbus::Result<Settings>&& pending, const char* name, const char* message) {
  try {
    pending.returnError(sdbus::Error(name, message));
  } catch (const sdbus::Error&) {
  }
}

}  // namespace dialkit::networkmanager
