// The RAS backend: dials phone-book entries with RasDial (asynchronous, RasDialFunc2), pauses
// and resumes as RAS does, hangs up per the RasHangUp rules, lists entries and connections, and
// watches connections other programs make. All of it runs against a RasApi table, so the same
// code runs on Windows (rasapi32.dll) and, in tests, against a fake on Linux.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <dialkit/backend.hpp>
#include <dialkit/factory.hpp>

#include "api.hpp"

namespace dialkit::ras {

inline constexpr std::string_view backend_name = "ras";
// A line for people: `dialkit backends` and the plugin's record show it.
inline constexpr std::string_view backend_description = "Windows Remote Access Service (rasapi32.dll)";

// BackendContext::options understood by the backend.
struct Settings {
  // "phonebook": a .pbk file; empty = the default phone-book.
  std::string phonebook;
  // "poll_ms": the pause between RasGetConnectStatus calls while a hang-up waits for the
  // handle to die.
  std::chrono::milliseconds poll_interval{20};
  // "hangup_limit_ms": how long a hang-up waits for ERROR_INVALID_HANDLE before giving up
  // (wine's stub never returns it).
  std::chrono::milliseconds hangup_limit{5000};
  // "watch_poll_ms": the polling fallback for drops and others' connections, beside
  // RasConnectionNotification (which is reported to stop firing on Windows 11).
  std::chrono::milliseconds watch_interval{1000};
};
[[nodiscard]] Result<Settings> settings_from_options(const std::map<std::string, std::string>& options);

using ApiLoader = std::function<Result<RasApi>()>;

// The factory; `loader` defaults to load_system_api (tests pass a fake table).
[[nodiscard]] std::shared_ptr<BackendFactory> make_factory(ApiLoader loader = {});

// Everything RasDial takes: credentials, a phone number, a callback number, multilink entries,
// EAP and every paused state; a watch by RasConnectionNotification (polling only as its
// fallback), hang-up by id.
class DIALKIT_SYMBOL_VISIBLE RasFactory final : public plugin::Factory {
 public:
  explicit RasFactory(ApiLoader loader = {});
  [[nodiscard]] Result<void> probe() const override;
  Result<std::unique_ptr<Backend>> create(const BackendContext& context) override;

 private:
  ApiLoader loader_;
};

}  // namespace dialkit::ras
