// Runs inside the QEMU guest (vm/guest-init.sh): dials real pppd peers through the real
// pppd backend plugin, and prints each scenario's whole shared event sequence as a dialkit
// trace on the serial console ("@@DK T <json>" lines between "@@DK BEGIN" and "@@DK END"),
// plus "@@DK CHECK name value" lines for what only the guest can see (pppd's command line,
// reaped processes). The host test (test_real_peer.cpp) asserts all of it.
#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <dialkit/runtime.hpp>
#include <dialkit/trace.hpp>

namespace fs = std::filesystem;
using namespace dialkit;
using namespace std::chrono_literals;

namespace {

constexpr const char* canary = "dk-canary-5e1f0c93";  // the real CHAP/PAP secret in the guest

void check(const std::string& name, const std::string& value) {
  std::cout << "@@DK CHECK " << name << " " << value << std::endl;
}

// Prints every event as it is delivered, as a trace line, and lets the driver wait on states.
class Printer {
 public:
  void operator()(const Event& e) {
    std::lock_guard lock(mutex_);
    if (!origin_) {
      origin_ = e.time;
      std::cout << "@@DK T {\"dialkit_trace\":" << trace_format_version << "}" << std::endl;
    }
    std::cout << "@@DK T " << event_to_json(e, *origin_) << std::endl;
    states_.push_back(e.state);
    cv_.notify_all();
  }
  bool wait_for(State s, std::chrono::seconds limit = 60s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, limit, [&] {
      for (auto x : states_)
        if (x == s) return true;
      return false;
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<Clock::time_point> origin_;
  std::vector<State> states_;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool process_exists(pid_t pid) { return fs::exists(fs::path("/proc") / std::to_string(pid)); }

std::vector<pid_t> pppd_pids() {
  std::vector<pid_t> out;
  for (const auto& d : fs::directory_iterator("/proc")) {
    const auto name = d.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto comm = read_file(d.path() / "comm");
    if (comm == "pppd\n") out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

// Our own pppd, as the backend lists it.
std::optional<pid_t> our_pppd(Dialer& dialer) {
  auto live = dialer.connections();
  if (!live) {
    check("live_error", live.error().message());
    return std::nullopt;
  }
  for (const auto& c : *live) {
    if (!c.started_here) continue;
    check("live", c.id + " entry=" + c.entry + " device=" + c.device);
    return static_cast<pid_t>(std::stol(c.id.substr(5)));
  }
  return std::nullopt;
}

// pppd's command line and environment must not hold the password (anyone can read
// /proc/PID/cmdline); the process must be the one running dialkit's plugin.
void canary_check(pid_t pid) {
  auto cmdline = read_file(fs::path("/proc") / std::to_string(pid) / "cmdline");
  const auto environ_text = read_file(fs::path("/proc") / std::to_string(pid) / "environ");
  for (auto& c : cmdline)
    if (c == '\0') c = ' ';
  check("cmdline", cmdline);
  check("cmdline_has_plugin", cmdline.find("dialkit-pppd.so") != std::string::npos ? "yes" : "no");
  check("cmdline_has_canary", cmdline.find(canary) != std::string::npos ? "yes" : "no");
  check("environ_has_canary", environ_text.find(canary) != std::string::npos ? "yes" : "no");
}

Credentials creds(const char* password) { return Credentials{"client", Secret(password), {}}; }

// The parent of `pid` (0 if it is gone): /proc/PID/stat is "pid (comm) state ppid ...".
pid_t parent_of(pid_t pid) {
  const auto stat = read_file(fs::path("/proc") / std::to_string(pid) / "stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 1));
  std::string state;
  long ppid = 0;
  fields >> state >> ppid;
  return static_cast<pid_t>(ppid);
}

std::string cmdline_of(pid_t pid) {
  auto text = read_file(fs::path("/proc") / std::to_string(pid) / "cmdline");
  for (auto& c : text)
    if (c == '\0') c = ' ';
  return text;
}

// The pppd processes whose command line holds `needle`: ours hold dialkit's plugin, the
// test servers "name server".
std::vector<pid_t> pppd_with(const std::string& needle) {
  std::vector<pid_t> out;
  for (auto p : pppd_pids())
    if (cmdline_of(p).find(needle) != std::string::npos) out.push_back(p);
  return out;
}

std::size_t entries_in(const char* dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    (void)e;
    ++n;
  }
  return n;
}

// This process's threads and fds, to compare before and after a dial. A dial's threads and
// pipes may take a moment to go after `disconnected` was delivered: wait for that, bounded.
struct Usage {
  std::size_t threads = entries_in("/proc/self/task");
  std::size_t fds = entries_in("/proc/self/fd");
};
void check_no_leak(const Usage& before) {
  Usage now;
  for (int i = 0; i < 50 && (now.threads != before.threads || now.fds != before.fds); ++i) {
    std::this_thread::sleep_for(100ms);
    now = Usage{};
  }
  check("threads", std::to_string(before.threads) + "->" + std::to_string(now.threads));
  check("fds", std::to_string(before.fds) + "->" + std::to_string(now.fds));
  check("ours_left", std::to_string(pppd_with("dialkit-pppd.so").size()));
}

// Fault scenarios: SIGKILL to our pppd ("kill9_at_STATE") or to the server pppd, the peer
// ("peer_gone_at_STATE"), from the slot, when the backend reports STATE. The dial must end
// `disconnected` with an error, with nothing left behind.
int run_fault(Dialer& dialer, const std::string& scenario) {
  const bool ours = scenario.starts_with("kill9_at_");
  const std::string target_name = scenario.substr(scenario.find("_at_") + 4);
  const auto target = state_from_name(target_name);
  if (!target) return check("unknown_state", target_name), 2;
  const Usage before;
  Printer printer;
  std::mutex m;
  bool fired = false;
  std::optional<pid_t> killed;
  auto slot = [&](const Event& e) {
    printer(e);
    std::lock_guard lock(m);
    if (fired || e.state != *target) return;
    fired = true;
    // Ours runs dialkit's plugin; the server is the other pppd.
    const std::vector<pid_t> with_plugin = pppd_with("dialkit-pppd.so");
    // A pppd that just forked the program of its device (a pty or connect script: at
    // connecting_device) has a child that is still "pppd" with the same command line until it
    // execs: that child is not a second pppd of ours.
    std::vector<pid_t> victims;
    for (auto p : with_plugin)
      if (std::find(with_plugin.begin(), with_plugin.end(), parent_of(p)) == with_plugin.end()) victims.push_back(p);
    if (!ours) {
      std::vector<pid_t> servers;
      for (auto p : pppd_pids())
        if (std::find(with_plugin.begin(), with_plugin.end(), p) == with_plugin.end()) servers.push_back(p);
      victims = servers;
    }
    // Ours is one process; the peer is the server pppd and its charshunt child (notty): all
    // of it goes.
    check("victims", std::to_string(victims.size()));
    if (victims.empty() || (ours && victims.size() != 1)) return;
    killed = victims.front();
    check("killed_at", std::string(state_name(e.state)));
    for (auto v : victims) ::kill(v, SIGKILL);
  };
  {
    DialOptions o;
    o.credentials = creds(canary);
    auto c = dialer.dial("chap", o, slot);
    if (!c) return check("dial_error", c.error().message()), 1;
    if (!c->wait_until_ended(60s)) {
      check("ended", "no");
      (void)c->hangup();
      return 1;
    }
    std::lock_guard lock(m);
    if (!killed) return check("killed", "no"), 1;
    check("reaped", process_exists(*killed) ? "no" : "yes");
  }
  // The handle is gone (an ended connection's handle keeps its backend session, and so
  // pppd's pipes, until it is dropped).
  check_no_leak(before);
  return 0;
}

int run_scenario(Dialer& dialer, const std::string& scenario);

int run(Dialer& dialer, const std::string& scenario) {
  if (scenario.starts_with("kill9_at_") || scenario.starts_with("peer_gone_at_")) return run_fault(dialer, scenario);
  const Usage before;
  const int rc = run_scenario(dialer, scenario);
  // After the scenario's Connection handle is gone.
  if (scenario == "chap_local_hangup" || scenario == "kill9") check_no_leak(before);
  return rc;
}

int run_scenario(Dialer& dialer, const std::string& scenario) {
  Printer printer;
  auto slot = [&printer](const Event& e) { printer(e); };
  DialOptions o;
  if (scenario == "chap_local_hangup" || scenario == "kill9") {
    o.credentials = creds(canary);
    auto c = dialer.dial("chap", o, slot);
    if (!c) return check("dial_error", c.error().message()), 1;
    if (!printer.wait_for(State::connected)) return check("connected", "no"), 1;
    const auto pid = our_pppd(dialer);
    if (!pid) return check("our_pppd", "none"), 1;
    if (scenario == "chap_local_hangup") {
      canary_check(*pid);
      (void)c->hangup();
      // hangup() returns once pppd is gone; `disconnected` reaches the slot a moment later.
      if (!c->wait_until_ended(30s)) return check("ended", "no"), 1;
    } else {
      ::kill(*pid, SIGKILL);
      if (!c->wait_until_ended(30s)) return check("ended", "no"), 1;
    }
    check("reaped", process_exists(*pid) ? "no" : "yes");
    return 0;
  }
  if (scenario == "pap_peer_hangup") {
    o.credentials = creds(canary);
    auto c = dialer.dial("pap", o, slot);
    if (!c) return check("dial_error", c.error().message()), 1;
    if (!printer.wait_for(State::connected)) return check("connected", "no"), 1;
    const auto pid = our_pppd(dialer);
    int killed = 0;
    for (auto p : pppd_pids())
      if (!pid || p != *pid) killed += ::kill(p, SIGTERM) == 0;  // the server side
    check("servers_signalled", std::to_string(killed));
    if (!c->wait_until_ended(30s)) return check("ended", "no"), 1;
    return 0;
  }
  if (scenario == "wrong_password") {
    o.credentials = creds("not-the-password");
    o.handle_paused_states = true;
    auto c = dialer.dial("pap", o, slot);
    if (!c) return check("dial_error", c.error().message()), 1;
    if (!printer.wait_for(State::retry_authentication)) return check("paused", "no"), 1;
    if (auto r = c->resume(creds(canary)); !r) return check("resume_error", r.error().message()), 1;
    if (!printer.wait_for(State::connected)) return check("connected", "no"), 1;
    (void)c->hangup();
    if (!c->wait_until_ended(30s)) return check("ended", "no"), 1;
    return 0;
  }
  if (scenario == "ipcp_refused") {
    // The right password, pauses handled: the server refuses IPCP after authentication. The
    // dial must end negotiation_failed, not pause for another password.
    o.credentials = creds(canary);
    o.handle_paused_states = true;
    auto c = dialer.dial("noip", o, slot);
    if (!c) return check("dial_error", c.error().message()), 1;
    if (!c->wait_until_ended(60s)) {
      check("ended", "no");
      (void)c->hangup();
      return 1;
    }
    return 0;
  }
  if (scenario == "silent") {
    o.credentials = creds(canary);
    o.timeout = 30s;
    const auto t0 = std::chrono::steady_clock::now();
    auto c = dialer.dial("silent", o, slot);
    if (!c) return check("dial_error", c.error().message()), 1;
    if (!c->wait_until_ended(60s)) return check("ended", "no"), 1;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    check("elapsed_ms", std::to_string(ms.count()));
    return 0;
  }
  check("unknown_scenario", scenario);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: dialkit-pppd-guest-driver PLUGIN_DIR SCENARIO...\n";
    return 2;
  }
  RuntimeOptions o;
  o.plugins.paths = {argv[1]};
  o.plugins.use_environment = false;
  o.plugins.use_install_dir = false;
  o.plugins.use_build_tree = false;
  Runtime runtime(o);
  for (const auto& r : runtime.refused_plugins()) check("refused_plugin", r.path.string() + ": " + r.error.message());
  auto dialer = runtime.dialer("pppd");
  if (!dialer) {
    check("no_backend", dialer.error().message());
    return 1;
  }
  int failures = 0;
  for (int i = 2; i < argc; ++i) {
    const std::string scenario = argv[i];
    std::cout << "@@DK BEGIN " << scenario << std::endl;
    const int rc = run(*dialer, scenario);
    failures += rc != 0;
    // Let the test's server side finish before the next scenario starts.
    for (int tries = 0; tries < 100 && !pppd_pids().empty(); ++tries) std::this_thread::sleep_for(100ms);
    for (auto p : pppd_pids()) ::kill(p, SIGKILL);
    std::cout << "@@DK END " << scenario << " rc=" << rc << std::endl;
  }
  return failures;
}
