// The real-peer fixture: see harness.hpp.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "backend.hpp"

namespace dialkit::nm::test {

namespace fs = std::filesystem;

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
}  // namespace

Peer::Peer(const std::string& script) {
  char tmpl[] = "/tmp/dialkit-nm-XXXXXX";
  const char* made = ::mkdtemp(tmpl);
  REQUIRE(made != nullptr);
  dir_ = made;
  const std::string cmd = std::string(DIALKIT_NM_HARNESS_DIR) + "/" + script + " " + dir_.string() + " " +
                          std::to_string(::getpid()) + " > " + (dir_ / "start.log").string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  INFO(slurp(dir_ / "start.log"));
  REQUIRE(rc == 0);
  read_env();
  address_ = env("DBUS_SYSTEM_BUS_ADDRESS");
  REQUIRE_FALSE(address_.empty());
  // Core probes a backend before creating it, and probe() sees no backend options: the
  // environment is the only way to point it at this bus (see the README's open points).
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", address_.c_str(), 1);
}

Peer::~Peer() {
  ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
  const std::string cmd = std::string(DIALKIT_NM_HARNESS_DIR) + "/stop.sh " + dir_.string() + " >/dev/null 2>&1";
  [[maybe_unused]] const int rc = std::system(cmd.c_str());
  // Logs stay for a failed run's post-mortem unless asked otherwise.
  if (std::getenv("DIALKIT_NM_KEEP_LOGS") == nullptr) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

void Peer::read_env() {
  env_.clear();
  std::istringstream lines(slurp(dir_ / "env"));
  std::string line;
  while (std::getline(lines, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    env_.emplace_back(line.substr(0, eq), line.substr(eq + 1));
  }
}

std::string Peer::env(const std::string& key) const {
  for (auto it = env_.rbegin(); it != env_.rend(); ++it)
    if (it->first == key) return it->second;
  return {};
}

void Peer::restart_nm() {
  const std::string cmd = std::string(DIALKIT_NM_HARNESS_DIR) + "/restart-realnm.sh " + dir_.string() + " > " +
                          (dir_ / "restart.log").string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  INFO(slurp(dir_ / "restart.log"));
  REQUIRE(rc == 0);
  read_env();
}

std::vector<int> Peer::pids() const {
  std::vector<int> out;
  std::istringstream lines(slurp(dir_ / "pids"));
  int pid = 0;
  while (lines >> pid) out.push_back(pid);
  return out;
}

std::vector<std::string> Peer::namespaces() const {
  std::vector<std::string> out;
  std::istringstream lines(slurp(dir_ / "netns"));
  std::string ns;
  while (lines >> ns) out.push_back(ns);
  return out;
}

std::vector<std::string> leftovers(const std::vector<int>& pids, const std::vector<std::string>& namespaces) {
  std::vector<std::string> out;
  for (const int pid : pids) {
    // /proc/PID/stat: "PID (comm) STATE ..."; a zombie (Z) has ended, it only waits for a reaper.
    const auto stat = slurp(fs::path("/proc") / std::to_string(pid) / "stat");
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) continue;
    if (stat[paren + 2] != 'Z') out.push_back("process " + std::to_string(pid) + ": " + stat.substr(0, paren + 1));
  }
  for (const auto& ns : namespaces)
    if (fs::exists(fs::path("/run/netns") / ns)) out.push_back("network namespace " + ns);
  return out;
}

int Peer::sh(const std::string& command, std::string* output) const {
  const auto out = dir_ / "sh.out";
  const std::string cmd = "export DBUS_SYSTEM_BUS_ADDRESS='" + address_ + "'; " + command + " > " + out.string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  if (output) *output = slurp(out);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

RuntimeOptions Peer::runtime_options() const {
  RuntimeOptions o;
  o.load_plugins = false;
  o.backend_options["networkmanager"]["bus_address"] = address_;
  o.backend_options["networkmanager"]["record"] = (dir_ / "record.txt").string();
  return o;
}

EventSlot Events::slot() {
  return [this](const Event& e) {
    std::lock_guard lock(mutex_);
    events_.push_back(e);
    cv_.notify_all();
  };
}

bool Events::wait(const std::function<bool(const std::vector<Event>&)>& pred, std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, limit, [&] { return pred(events_); });
}

bool Events::wait_for_state(State s, std::chrono::milliseconds limit) {
  return wait([s](const auto& ev) { return std::any_of(ev.begin(), ev.end(), [s](const Event& e) { return e.state == s; }); },
              limit);
}

std::vector<Event> Events::all() const {
  std::lock_guard lock(mutex_);
  return events_;
}

std::string describe(const Event& e) {
  std::ostringstream s;
  s << e.entry << " #" << e.seq << ' ' << state_name(e.state) << " native=" << e.native_code << ' ' << e.native_name;
  if (e.error) s << " error=" << e.error->message();
  if (!e.reason.empty()) s << " reason=" << e.reason;
  return s.str();
}

std::string Events::dump() const {
  std::string out;
  for (const auto& e : all()) out += describe(e) + "\n";
  return out;
}

}  // namespace dialkit::nm::test
