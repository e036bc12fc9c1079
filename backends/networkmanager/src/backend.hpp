// The NetworkManager backend: entries are NM connection profiles, a dial is ActivateConnection,
// a hang-up DeactivateConnection, and a secret agent answers NM's requests for secrets with the
// dial's credentials (or pauses in retry_authentication). Built as the plugin
// dialkit-backend-networkmanager and as the static library dialkit::networkmanager, which tests
// add in-process with runtime.add_backend(dialkit::networkmanager::make_factory()).
//
// Backend options (RuntimeOptions::backend_options["networkmanager"]):
//   bus_address        D-Bus address of the system bus (default: DBUS_SYSTEM_BUS_ADDRESS, as
//                      sd-bus reads it, else the standard system bus socket)
//   call_timeout_ms    bound on one D-Bus call (default 10000)
//   hangup_timeout_ms  bound on Session::hangup waiting for NM to release (default 10000)
//   record             file to append the raw NM signals of each dial to (golden-file recording)
#pragma once

#include <memory>
#include <string_view>

#include <dialkit/backend.hpp>
#include <dialkit/factory.hpp>

namespace dialkit::networkmanager {

inline constexpr const char* backend_name = "networkmanager";

[[nodiscard]] std::shared_ptr<BackendFactory> make_factory();

inline constexpr std::string_view backend_description =
    "NetworkManager over D-Bus: connection profiles, activation, secret agent";

class NetworkManagerFactory final : public plugin::Factory {
 public:
  // Credentials (the secret agent), the retry_authentication pause, a watch by NM's signals,
  // hang-up by id; not a phone or callback number (core refuses those before anything reaches
  // NM): ActivateConnection dials a profile as it is stored, and NM has no callback.
  NetworkManagerFactory();
  [[nodiscard]] Result<void> probe() const override;
  // Honours the `bus_address` option, as create() does.
  [[nodiscard]] Result<void> probe_with(const BackendContext& context) const override;
  Result<std::unique_ptr<Backend>> create(const BackendContext& context) override;
};

}  // namespace dialkit::networkmanager
