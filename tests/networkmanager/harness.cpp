// The real-peer fixture: see harness.hpp.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <dialkit/networkmanager.hpp>

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
  std::istringstream lines(slurp(dir_ / "env"));
  std::string line;
  while (std::getline(lines, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    env_.emplace_back(line.substr(0, eq), line.substr(eq + 1));
  }
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

std::string Peer::env(const std::string& key) const {
  for (const auto& [k, v] : env_)
    if (k == key) return v;
  return {};
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
