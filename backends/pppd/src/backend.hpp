// The pppd backend ("pppd"): dials by running the real pppd (`pppd call ENTRY nodetach ...`)
// with dialkit's pppd-side plugin, which reports phases and notifiers over an inherited
// socket and fetches secrets from the backend over it (never argv, never a file). Built both
// as the plugin dialkit-backend-pppd and as the static library dialkit::pppd for tests.
//
// Backend options (RuntimeOptions::backend_options["pppd"]):
//   peers_dir          the entries (default /etc/ppp/peers)
//   pppd               the pppd binary (default /usr/sbin/pppd)
//   pppd_plugin        dialkit's pppd-side plugin (default: pppd/dialkit-pppd.so next to the
//                      backend's own module, then the install directory)
//   kill_timeout_ms    how long a hang-up waits after SIGTERM before SIGKILL (default 3000)
//   run_dir            where pppd writes its pid files, for watch (default /run)
//   sys_class_net      where interfaces are listed, for watch (default /sys/class/net)
//   watch_interval_ms  how often watch() looks (default 1000)
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <dialkit/backend.hpp>
#include <dialkit/factory.hpp>

namespace dialkit::pppd {

struct Settings {
  std::filesystem::path peers_dir = "/etc/ppp/peers";
  std::filesystem::path pppd = "/usr/sbin/pppd";
  std::filesystem::path helper_plugin;  // empty: found next to the module
  std::chrono::milliseconds kill_timeout{3000};
  std::filesystem::path run_dir = "/run";
  std::filesystem::path sys_class_net = "/sys/class/net";
  std::chrono::milliseconds watch_interval{1000};
};

// Reads BackendContext::options over the defaults; a bad value is Errc::invalid_argument.
[[nodiscard]] Result<Settings> settings_from_options(const std::map<std::string, std::string>& options);

// Where the pppd-side plugin is when no option names it (beside this module, then in the
// plugin directory of the libdialkit-core in use); empty if neither exists.
[[nodiscard]] std::filesystem::path default_helper_plugin();
// pppd loads the helper as root: refuse files others could have written (NetworkManager
// does the same for nm-pppd-plugin.so).
[[nodiscard]] Result<void> check_helper_plugin(const std::filesystem::path& file);

// The peers of a directory: regular files with a sane name (no dot files, no backups).
[[nodiscard]] Result<std::vector<Entry>> list_peers(const std::filesystem::path& dir);
[[nodiscard]] bool valid_entry_name(std::string_view name) noexcept;

// The command line and environment for one pppd run. Holds no secret: the password goes
// over the channel only.
struct CommandLine {
  std::vector<std::string> argv;
  std::vector<std::string> env;
};
[[nodiscard]] CommandLine build_command(const Settings& s, const std::filesystem::path& helper,
                                        std::string_view entry, const std::optional<Credentials>& creds);

// The id of the pppd with this pid: LiveConnection::id, hangup_live()'s argument, and the
// SessionStatus::native_id of a dial as soon as its pppd runs ("pppd:PID").
[[nodiscard]] std::string live_id(pid_t pid);

// pppd sessions the system shows (/run/ppp*.pid with a live pppd and its interface).
[[nodiscard]] std::vector<LiveConnection> scan_live(const Settings& s);

// A line for people: `dialkit backends` and the plugin's record show it.
inline constexpr std::string_view backend_description =
    "Linux pppd: dials the peers in /etc/ppp/peers by running pppd with dialkit's plugin";

class PppdFactory final : public plugin::Factory {
 public:
  // `pppd` is what probe() looks for (tests point it elsewhere).
  explicit PppdFactory(std::filesystem::path pppd = "/usr/sbin/pppd");
  [[nodiscard]] Result<void> probe() const override;
  Result<std::unique_ptr<Backend>> create(const BackendContext& context) override;

 private:
  std::filesystem::path pppd_;
};

[[nodiscard]] std::shared_ptr<PppdFactory> make_factory(std::filesystem::path pppd = "/usr/sbin/pppd");

}  // namespace dialkit::pppd
