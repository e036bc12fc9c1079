// The pppd backend and its factory: entries from the peers directory, dials through
// start_session, live connections and watch from pppd's pid files.
#include "backend.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <dialkit/install_dirs.hpp>
#include <dialkit/options.hpp>
#include <dialkit/polling_watch.hpp>

#include "session.hpp"

namespace fs = std::filesystem;

namespace dialkit::pppd {
namespace {

std::string read_small_file(const fs::path& p, std::size_t limit = 4096) {
  std::ifstream in(p, std::ios::binary);
  std::string out(limit, '\0');
  in.read(out.data(), static_cast<std::streamsize>(limit));
  out.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The peer file's first comment, as a description; its kind from what it runs.
Entry describe_peer(const fs::path& file) {
  Entry e;
  e.name = file.filename().string();
  e.type = "modem";
  std::istringstream in(read_small_file(file, 16384));
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    if (line[first] == '#') {
      if (e.description.empty()) e.description = trim(line.substr(line.find_first_not_of("# \t", first) == std::string::npos ? line.size() : line.find_first_not_of("# \t", first)));
      continue;
    }
    if (line.find("pppoe") != std::string::npos) e.type = "pppoe";
    else if (line.find("pppol2tp") != std::string::npos) e.type = "l2tp";
    else if (line.compare(first, 4, "pty ") == 0 && e.type == "modem") e.type = "pty";
  }
  return e;
}

bool is_pppd(pid_t pid) {
  return trim(read_small_file(fs::path("/proc") / std::to_string(pid) / "comm", 64)) == "pppd";
}

std::vector<std::string> proc_cmdline(pid_t pid) {
  std::istringstream in(read_small_file(fs::path("/proc") / std::to_string(pid) / "cmdline", 16384));
  std::vector<std::string> args;
  for (std::string arg; std::getline(in, arg, '\0');) args.push_back(arg);
  return args;
}

std::optional<pid_t> parse_pid(std::string_view text) {
  pid_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

std::optional<pid_t> pid_from_live_id(std::string_view id) {
  constexpr std::string_view prefix = "pppd:";
  if (!id.starts_with(prefix)) return std::nullopt;
  return parse_pid(id.substr(prefix.size()));
}

LiveConnection live_from(pid_t pid, std::string iface, const std::set<pid_t>& ours) {
  LiveConnection c;
  c.id = live_id(pid);
  c.device = iface;
  c.state = State::connected;
  c.started_here = ours.contains(pid);
  const auto args = proc_cmdline(pid);
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "call") c.entry = args[i + 1];
    else if (args[i] == "file" && c.entry.empty()) c.entry = fs::path(args[i + 1]).filename().string();
    else if (args[i] == "linkname" && c.entry.empty()) c.entry = args[i + 1];
  }
  if (c.entry.empty()) c.entry = iface;
  return c;
}

std::vector<LiveConnection> scan_live_with(const Settings& s, const std::set<pid_t>& ours) {
  std::vector<LiveConnection> out;
  std::set<pid_t> seen;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(s.run_dir, ec)) {
    const auto name = f.path().filename().string();
    if (!name.starts_with("ppp") || !name.ends_with(".pid")) continue;
    std::istringstream in(read_small_file(f.path(), 256));
    std::string pid_line, iface;
    std::getline(in, pid_line);
    std::getline(in, iface);
    iface = trim(iface);
    // ppp0.pid names the interface; ppp-LINKNAME.pid carries it on its second line.
    if (iface.empty() && !name.starts_with("ppp-")) iface = name.substr(0, name.size() - 4);
    const auto pid = parse_pid(trim(pid_line));
    if (!pid || iface.empty() || seen.contains(*pid)) continue;
    if (!is_pppd(*pid)) continue;  // stale file
    if (!fs::exists(s.sys_class_net / iface, ec)) continue;
    seen.insert(*pid);
    out.push_back(live_from(*pid, iface, ours));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

// watch(): others' pppd sessions from the pid files, polled (pppd has no change signal).
constexpr std::string_view watch_interface_prefix = "interface ";

std::unique_ptr<WatchHandle> make_watch(const Settings& s, std::shared_ptr<Registry> registry,
                                        std::shared_ptr<WatchSink> sink) {
  auto scan = [s, registry]() -> Result<std::vector<plugin::ObservedConnection>> {
    std::vector<plugin::ObservedConnection> now;
    for (auto& c : scan_live_with(s, registry->our_pids())) {
      if (c.started_here) continue;
      now.push_back({std::move(c.id), std::move(c.entry),
                     {.state = State::connected,
                      .native_code = phase_running,
                      .native_name = "PHASE_RUNNING (pid file)",
                      .reason = std::string(watch_interface_prefix) + c.device}});
    }
    return now;
  };
  auto vanished = [](const plugin::ObservedConnection& last) {
    return NativeReport{.state = State::disconnected,
                        .native_code = phase_dead,
                        .native_name = "PHASE_DEAD (pid file gone)",
                        .reason = "pppd on " + last.report.reason.substr(watch_interface_prefix.size()) + " ended"};
  };
  return std::make_unique<plugin::PollingWatch>(
      std::move(sink), std::move(scan),
      plugin::PollingWatch::Options{.interval = s.watch_interval,
                                    .thread_name = "the pppd backend's watch thread",
                                    .failed = registry->failed,
                                    .vanished = std::move(vanished)});
}

class PppdBackend final : public Backend {
 public:
  PppdBackend(Settings s, BackendFailure failed) : settings_(std::move(s)), registry_(std::make_shared<Registry>()) {
    registry_->failed = std::move(failed);
  }

  Result<std::vector<Entry>> entries() override { return list_peers(settings_.peers_dir); }

  Result<std::unique_ptr<Session>> dial(const DialRequest& request,
                                        std::shared_ptr<Reporter> reporter) override {
    if (!valid_entry_name(request.entry))
      return fail(make_error(Errc::unknown_entry, "\"" + request.entry + "\" is not a peer name"));
    std::error_code ec;
    if (!fs::is_regular_file(settings_.peers_dir / request.entry, ec))
      return fail(make_error(Errc::unknown_entry, "no peer \"" + request.entry + "\" in " +
                                                      settings_.peers_dir.string()));
    fs::path helper = settings_.helper_plugin.empty() ? default_helper_plugin() : settings_.helper_plugin;
    if (helper.empty())
      return fail(make_error(Errc::backend_unavailable,
                             "dialkit's pppd-side plugin (pppd/dialkit-pppd.so) was not found"));
    if (auto ok = check_helper_plugin(helper); !ok) return fail(ok.error());
    return start_session(settings_, helper, request, std::move(reporter), registry_);
  }

  Result<std::vector<LiveConnection>> live_connections() override {
    return scan_live_with(settings_, registry_->our_pids());
  }

  Result<void> hangup_live(std::string_view id) override {
    const auto pid = pid_from_live_id(id);
    if (!pid || !is_pppd(*pid))
      return fail(make_error(Errc::unknown_entry, "no pppd connection \"" + std::string(id) + "\""));
    if (::kill(*pid, SIGTERM) != 0)
      return fail(make_error(errno == EPERM ? Errc::permission_denied : Errc::system_error,
                             "kill(" + std::to_string(*pid) + ", SIGTERM): " + std::strerror(errno)));
    return {};
  }

  Result<std::unique_ptr<WatchHandle>> watch(std::shared_ptr<WatchSink> sink) override {
    return make_watch(settings_, registry_, std::move(sink));
  }

 private:
  Settings settings_;
  std::shared_ptr<Registry> registry_;
};

void module_anchor() {}

}  // namespace

Result<Settings> settings_from_options(const std::map<std::string, std::string>& options) {
  Settings s;
  for (const auto& [key, value] : options) {
    if (key == "peers_dir") s.peers_dir = value;
    else if (key == "pppd") s.pppd = value;
    else if (key == "pppd_plugin") s.helper_plugin = value;
    else if (key == "run_dir") s.run_dir = value;
    else if (key == "sys_class_net") s.sys_class_net = value;
    else if (key == "kill_timeout_ms" || key == "watch_interval_ms") {
      auto ms = plugin::milliseconds_option(backend_name, key, value);
      if (!ms) return fail(ms.error());
      (key == "kill_timeout_ms" ? s.kill_timeout : s.watch_interval) = *ms;
    } else {
      return fail(make_error(Errc::invalid_argument, "unknown pppd backend option \"" + key + "\""));
    }
  }
  if (s.watch_interval.count() == 0) s.watch_interval = std::chrono::milliseconds(1);
  return s;
}

fs::path default_helper_plugin() {
  // The helper is installed (and built) as pppd/dialkit-pppd.so in the plugin directory:
  // first beside this module (the loaded plugin), then in the plugin directory of the
  // libdialkit-core in use (a program linking the backend statically). Both are found at run
  // time, so a moved install finds its own helper and no path is compiled in.
  const fs::path module = module_file(reinterpret_cast<const void*>(&module_anchor));
  for (const fs::path& dir : {module.empty() ? fs::path() : module.parent_path(), dialkit_dirs().plugin_dir}) {
    std::error_code ec;
    if (const auto helper = dir / "pppd" / "dialkit-pppd.so"; !dir.empty() && fs::is_regular_file(helper, ec))
      return helper;
  }
  return {};
}

Result<void> check_helper_plugin(const fs::path& file) {
  auto refuse = [&](const fs::path& what, const std::string& why) {
    return fail(make_error(Errc::plugin_rejected, "pppd would load " + file.string() + " as root, but " +
                                                      what.string() + " " + why));
  };
  const auto check = [&](const fs::path& p, bool want_file) -> Result<void> {
    struct stat st{};
    if (::lstat(p.c_str(), &st) != 0) return refuse(p, std::string("cannot be read: ") + std::strerror(errno));
    if (want_file && !S_ISREG(st.st_mode)) return refuse(p, "is not a regular file");
    if (st.st_uid != 0 && st.st_uid != ::geteuid()) return refuse(p, "is owned by another user");
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(!want_file && (st.st_mode & S_ISVTX)))
      return refuse(p, "is writable by group or others");
    return {};
  };
  if (auto ok = check(file, true); !ok) return ok;
  return check(fs::absolute(file).parent_path(), false);
}

bool valid_entry_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 200 || name.front() == '.' || name.back() == '~') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '+' || c == '@';
    if (!ok) return false;
  }
  return !name.ends_with(".dpkg-old") && !name.ends_with(".dpkg-new") && !name.ends_with(".dpkg-dist");
}

Result<std::vector<Entry>> list_peers(const fs::path& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec)
    return fail(make_error(ec == std::errc::permission_denied ? Errc::permission_denied : Errc::backend_unavailable,
                           "cannot read the peers directory " + dir.string() + ": " + ec.message()));
  std::vector<Entry> out;
  for (const auto& f : it) {
    const auto name = f.path().filename().string();
    if (!valid_entry_name(name) || !f.is_regular_file(ec)) continue;
    out.push_back(describe_peer(f.path()));
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return out;
}

CommandLine build_command(const Settings& s, const fs::path& helper, std::string_view entry,
                          const std::optional<Credentials>& creds) {
  CommandLine c;
  c.argv.push_back(s.pppd.string());
  // `call` reads /etc/ppp/peers only; another directory is read with `file`.
  std::error_code ec;
  if (fs::equivalent(s.peers_dir, "/etc/ppp/peers", ec)) {
    c.argv.insert(c.argv.end(), {"call", std::string(entry)});
  } else {
    c.argv.insert(c.argv.end(), {"file", (s.peers_dir / entry).string()});
  }
  // After the peer's options, so they win: pppd stays our child and never redials itself.
  c.argv.insert(c.argv.end(), {"nodetach", "nopersist", "plugin", helper.string()});
  const bool secrets = creds && !creds->password.empty();
  if (creds && !creds->user.empty()) c.argv.insert(c.argv.end(), {"user", creds->user});
  c.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "DIALKIT_PPPD_FD=3",
           std::string("DIALKIT_PPPD_SECRETS=") + (secrets ? "1" : "0")};
  return c;
}

std::string live_id(pid_t pid) { return "pppd:" + std::to_string(pid); }

std::vector<LiveConnection> scan_live(const Settings& s) { return scan_live_with(s, {}); }

// Credentials go to pppd over the helper's channel; a rejected password pauses in
// retry_authentication. Not a phone number: pppd 2.4.9 has no phone-number option (`-T` is
// chat's: pppd refuses it as unrecognized) and the number lives in the peer's connect (chat)
// script, which dialkit cannot rewrite soundly. Not a callback number: pppd's `callback` option
// asks the server to call back (CBCP), then pppd exits 14 without waiting for the call. Others'
// sessions are found by scanning /run/ppp*.pid now and then; any of them is hung up by id.
PppdFactory::PppdFactory(fs::path pppd)
    : Factory({.name = backend_name,
               .description = backend_description,
               .capabilities = Capabilities{}
                                   .with(DialOption::credentials)
                                   .with_pause(State::retry_authentication)
                                   .with_watch(WatchKind::polling)
                                   .with_hangup_by_id()}),
      pppd_(std::move(pppd)) {}

Result<void> PppdFactory::probe() const {
  if (::access(pppd_.c_str(), X_OK) != 0)
    return fail(make_error(Errc::backend_unavailable,
                           "pppd is not installed (" + pppd_.string() + ": " + std::strerror(errno) +
                               "); install the ppp package"));
  return {};
}

Result<std::unique_ptr<Backend>> PppdFactory::create(const BackendContext& context) {
  auto settings = settings_from_options(context.options);
  if (!settings) return fail(settings.error());
  if (!context.options.contains("pppd")) settings->pppd = pppd_;
  return std::unique_ptr<Backend>(std::make_unique<PppdBackend>(std::move(*settings), context.failed));
}

std::shared_ptr<PppdFactory> make_factory(fs::path pppd) { return std::make_shared<PppdFactory>(std::move(pppd)); }

}  // namespace dialkit::pppd
