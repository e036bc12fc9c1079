// Against a REAL NetworkManager 1.42 in its own network namespace (harness/start-realnm.sh):
// a static-IP activation with its real 40->50->70->80->90->100 sequence and a hang-up, a
// profile that fails, NM killed in the middle of an activation, a watch that sees an nmcli
// activation (and, stopped, leaves it up), dial timeouts that never fire after `connected`,
// and the CLI driving the plugin. Needs root, ip netns and network-manager.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <thread>

#include <sdbus-c++/sdbus-c++.h>

#include "backend.hpp"

#include "../process_stats.hpp"
#include "harness.hpp"

using namespace dialkit;
using namespace dialkit::nm::test;
using namespace std::chrono_literals;

namespace {

Dialer nm_dialer(Runtime& runtime) {
  runtime.add_backend(networkmanager::make_factory());
  auto d = runtime.dialer("networkmanager");
  if (!d) FAIL(d.error().message());
  return *d;
}

struct RealNm {
  Peer peer{"start-realnm.sh"};
  Runtime runtime{peer.runtime_options()};
  Dialer dialer = nm_dialer(runtime);
};

std::vector<std::pair<State, std::int64_t>> states_of(const std::vector<Event>& events) {
  std::vector<std::pair<State, std::int64_t>> out;
  for (const auto& e : events) out.emplace_back(e.state, e.native_code);
  return out;
}

}  // namespace

TEST_CASE("real NM: a static profile activates through 40-100 and hangs up", "[real-peer][realnm]") {
  RealNm nm;
  auto entries = nm.dialer.entries();
  REQUIRE(entries);
  auto it = std::find_if(entries->begin(), entries->end(), [](const Entry& e) { return e.name == "veth-static"; });
  REQUIRE(it != entries->end());
  CHECK(it->type == "ethernet");

  Events events;
  auto conn = nm.dialer.dial("veth-static", {}, events.slot());
  REQUIRE(conn);
  INFO(events.dump());
  REQUIRE(events.wait_for_state(State::connected));
  // The device's real sequence, each native state mapped as DESIGN section 4 says.
  std::vector<std::pair<State, std::int64_t>> device_part;
  for (auto p : states_of(events.all()))
    if (p.second >= 40) device_part.push_back(p);
  CHECK(device_part == std::vector<std::pair<State, std::int64_t>>{{State::opening_port, 40},
                                                                    {State::connecting_device, 50},
                                                                    {State::auth_project, 70},
                                                                    {State::projected, 80},
                                                                    {State::applying_settings, 90},
                                                                    {State::connected, 100}});
  CHECK(conn->status().device.interface == "nmveth0");
  std::string addr;
  CHECK(nm.peer.sh("ip -n " + nm.peer.env("NETNS") + " -4 addr show nmveth0", &addr) == 0);
  CHECK(addr.find("192.0.2.1/24") != std::string::npos);
  auto live = nm.dialer.connections();
  REQUIRE(live);
  REQUIRE(live->size() == 1);
  CHECK(live->front().entry == "veth-static");
  CHECK(live->front().started_here);
  CHECK(live->front().device == "nmveth0");

  REQUIRE(conn->hangup());
  REQUIRE(conn->wait_until_ended(5s));  // the dispatcher delivers the end after hangup() returned
  const auto all = events.all();
  INFO(events.dump());
  REQUIRE_FALSE(all.empty());
  CHECK(all.back().state == State::disconnected);
  CHECK(all.back().reason == "local hang-up");
  CHECK_FALSE(all.back().error);
  // hangup() returned after NM released it: nothing is active any more.
  auto after = nm.dialer.connections();
  REQUIRE(after);
  CHECK(after->empty());
}

TEST_CASE("real NM: profiles that fail end with the mapped error", "[real-peer][realnm]") {
  RealNm nm;
  SECTION("DHCP nobody answers: IP configuration fails") {
    Events events;
    auto conn = nm.dialer.dial("veth-dhcp-fail", {}, events.slot());
    REQUIRE(conn);
    INFO(events.dump());
    REQUIRE(conn->wait_until_ended(30s));
    const auto last = events.all().back();
    CHECK(last.state == State::disconnected);
    REQUIRE(last.error);
    CHECK(last.error->native_text.starts_with("NM_DEVICE_STATE_REASON_"));
    CHECK(last.error->code == Errc::projection_failed);
    CHECK(last.native_code == 120);
    CHECK(events.wait_for_state(State::auth_project, 0ms));
  }
  SECTION("a profile NM will not activate is refused by dial()") {
    auto conn = nm.dialer.dial("no-such-device");
    REQUIRE_FALSE(conn);
    INFO(conn.error().message());
    CHECK(conn.error().native_text.starts_with("org.freedesktop.NetworkManager."));
    CHECK(conn.error().code != Errc::system_error);
  }
  SECTION("an unknown profile is unknown_entry") {
    auto conn = nm.dialer.dial("no-such-profile");
    REQUIRE_FALSE(conn);
    CHECK(conn.error().code == Errc::unknown_entry);
  }
}

TEST_CASE("real NM: NetworkManager killed mid-activation ends the dial and no hang", "[real-peer][realnm]") {
  RealNm nm;
  Events events;
  auto conn = nm.dialer.dial("veth-dhcp-slow", {}, events.slot());
  REQUIRE(conn);
  INFO(events.dump());
  REQUIRE(events.wait_for_state(State::auth_project));  // waiting for a DHCP answer that never comes
  REQUIRE(::kill(std::stoi(nm.peer.env("NM_PID")), SIGKILL) == 0);
  REQUIRE(conn->wait_until_ended(10s));
  const auto last = events.all().back();
  CHECK(last.state == State::disconnected);
  REQUIRE(last.error);
  CHECK(last.error->code == Errc::backend_unavailable);
  const auto start = std::chrono::steady_clock::now();
  CHECK(conn->hangup());
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  // A new dial says clearly that NM is gone.
  auto again = nm.dialer.dial("veth-static");
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::backend_unavailable);
}

namespace {

// What a fault test checks at its end, after the peer stopped: no thread or fd of the test
// process is left (the Runtime, its dispatcher and the backend's bus thread are gone with it),
// and no process or network namespace of the harness.
struct LeakCheck {
  // sdbus-c++ 1.2 makes one pseudo connection (two eventfds) the first time any thread builds
  // a Variant and keeps it for the life of the process; ThreadSanitizer starts its background
  // thread when the first thread is created. Both made here, so they count as before.
  bool warm = [] {
    std::thread([] {}).join();
    const sdbus::Variant v(std::uint32_t{0});
    return v.containsValueOfType<std::uint32_t>();
  }();
  dialkit::test::ProcessStats before = dialkit::test::process_stats();
  std::string fds_before = dialkit::test::fd_list();
  std::vector<int> pids;
  std::vector<std::string> namespaces;

  void remember(const Peer& peer) {
    pids = peer.pids();
    namespaces = peer.namespaces();
  }
  void check() const {
    const auto after = dialkit::test::process_stats();
    INFO("before: " << before.str() << "\nafter:  " << after.str() << "\nfds before:\n"
                     << fds_before << "fds after:\n" << dialkit::test::fd_list());
    CHECK(after.threads == before.threads);
    CHECK(after.fds == before.fds);
    REQUIRE_FALSE(pids.empty());  // the harness recorded what it started
    const auto left = leftovers(pids, namespaces);
    INFO([&] {
      std::string s;
      for (const auto& l : left) s += l + "\n";
      return s;
    }());
    CHECK(left.empty());
  }
};

// Hang-up of a dial that already ended returns at once and leaves it disconnected.
void check_quick_hangup(Connection& conn) {
  const auto start = std::chrono::steady_clock::now();
  CHECK(conn.hangup());
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(conn.status().state == State::disconnected);
}

void check_static_dial_and_hangup(Dialer& dialer) {
  Events events;
  auto conn = dialer.dial("veth-static", {}, events.slot());
  INFO((conn ? std::string() : conn.error().message()));
  REQUIRE(conn);
  const bool connected = events.wait_for_state(State::connected);
  INFO(events.dump());
  REQUIRE(connected);
  CHECK(conn->status().device.interface == "nmveth0");
  REQUIRE(conn->hangup());
  REQUIRE(conn->wait_until_ended(5s));
  const auto last = events.all().back();
  CHECK(last.state == State::disconnected);
  CHECK(last.reason == "local hang-up");
  CHECK_FALSE(last.error);
}

}  // namespace

TEST_CASE("real NM: NetworkManager killed and restarted mid-activation: the dial ends, the backend recovers",
          "[real-peer][realnm][fault]") {
  LeakCheck leaks;
  {
    Events events;
    RealNm nm;
    auto conn = nm.dialer.dial("veth-dhcp-slow", {}, events.slot());
    REQUIRE(conn);
    REQUIRE(events.wait_for_state(State::auth_project));  // waiting for a DHCP answer that never comes
    const auto old_pid = std::stoi(nm.peer.env("NM_PID"));
    REQUIRE(::kill(old_pid, SIGKILL) == 0);
    const bool ended = conn->wait_until_ended(10s);
    INFO(events.dump());
    REQUIRE(ended);
    const auto last = events.all().back();
    CHECK(last.state == State::disconnected);
    REQUIRE(last.error);
    CHECK(last.error->code == Errc::backend_unavailable);
    CHECK(last.error->message().find("NetworkManager left the bus") != std::string::npos);
    check_quick_hangup(*conn);

    nm.peer.restart_nm();
    REQUIRE(std::stoi(nm.peer.env("NM_PID")) != old_pid);
    // The same Runtime and backend dial again through the new NetworkManager: entries, a whole
    // activation with its signals, and a hang-up that waits for the new NM's answer.
    auto entries = nm.dialer.entries();
    REQUIRE(entries);
    CHECK(std::any_of(entries->begin(), entries->end(), [](const Entry& e) { return e.name == "veth-static"; }));
    check_static_dial_and_hangup(nm.dialer);
    auto live = nm.dialer.connections();
    REQUIRE(live);
    CHECK(live->empty());
    leaks.remember(nm.peer);
  }
  leaks.check();
}

TEST_CASE("real NM: the D-Bus daemon killed ends the dial with a clear error and no hang", "[real-peer][realnm][fault]") {
  const bool connected = GENERATE(false, true);  // killed mid-activation, or while connected
  CAPTURE(connected);
  LeakCheck leaks;
  {
    Events events;
    RealNm nm;
    auto conn = nm.dialer.dial(connected ? "veth-static" : "veth-dhcp-slow", {}, events.slot());
    REQUIRE(conn);
    REQUIRE(events.wait_for_state(connected ? State::connected : State::auth_project));
    REQUIRE(::kill(std::stoi(nm.peer.env("BUS_PID")), SIGKILL) == 0);
    const bool ended = conn->wait_until_ended(10s);
    INFO(events.dump());
    REQUIRE(ended);
    const auto last = events.all().back();
    CHECK(last.state == State::disconnected);
    REQUIRE(last.error);
    CHECK(last.error->code == Errc::backend_unavailable);
    CHECK(last.error->message().find("D-Bus connection") != std::string::npos);
    check_quick_hangup(*conn);
    // What follows fails at once and says the bus connection is lost.
    const auto start = std::chrono::steady_clock::now();
    auto again = nm.dialer.dial("veth-static");
    REQUIRE_FALSE(again);
    INFO(again.error().message());
    CHECK(again.error().code == Errc::backend_unavailable);
    CHECK(again.error().message().find("connection to the D-Bus system bus at " + nm.peer.address() + " was lost") !=
          std::string::npos);
    auto entries = nm.dialer.entries();
    REQUIRE_FALSE(entries);
    CHECK(entries.error().code == Errc::backend_unavailable);
    CHECK(std::chrono::steady_clock::now() - start < 2s);
    leaks.remember(nm.peer);
  }
  leaks.check();
}

TEST_CASE("real NM: a watch sees an activation made with nmcli", "[real-peer][realnm]") {
  RealNm nm;
  Events events;
  auto watch = nm.dialer.watch(events.slot());
  REQUIRE(watch);
  std::string out;
  REQUIRE(nm.peer.sh("nmcli connection up veth-static", &out) == 0);
  INFO(out << events.dump());
  REQUIRE(events.wait_for_state(State::connected));
  auto all = events.all();
  CHECK(all.back().entry == "veth-static");
  CHECK(std::any_of(all.begin(), all.end(), [](const Event& e) { return e.native_code == 70; }));
  REQUIRE(nm.peer.sh("nmcli connection down veth-static", &out) == 0);
  REQUIRE(events.wait_for_state(State::disconnected));
  const auto last = events.all().back();
  CHECK_FALSE(last.error);  // a client's deliberate end
  CHECK(last.reason.find("USER_REQUESTED") != std::string::npos);
}

namespace {

// NetworkManager's own word on a profile's activation ("activated", "deactivating", ...; empty
// when it is not active).
std::string active_state(const Peer& peer, const std::string& profile) {
  std::string out;
  (void)peer.sh("nmcli -g GENERAL.STATE connection show " + profile + " 2>/dev/null", &out);
  out.erase(out.find_last_not_of(" \n") + 1);
  return out;
}

}  // namespace

TEST_CASE("real NM: stopping a watch, and destroying its runtime, leave an nmcli activation up",
          "[real-peer][realnm][watch]") {
  Peer peer("start-realnm.sh");
  std::string out;
  REQUIRE(peer.sh("nmcli connection up veth-static", &out) == 0);
  INFO(out);
  REQUIRE(active_state(peer, "veth-static") == "activated");
  {
    Runtime runtime(peer.runtime_options());
    Dialer dialer = nm_dialer(runtime);
    Events events;
    auto watch = dialer.watch(events.slot());
    REQUIRE(watch);
    INFO(events.dump());
    REQUIRE(events.wait_for_state(State::connected));  // the watch adopted nmcli's activation
    watch->stop();
    CHECK(active_state(peer, "veth-static") == "activated");
    // A second watch, left running when the runtime goes.
    Events again;
    auto second = dialer.watch(again.slot());
    REQUIRE(second);
    REQUIRE(again.wait_for_state(State::connected));
  }
  // Watching changed nothing: nmcli's link is up, and nmcli is the one to take it down.
  CHECK(active_state(peer, "veth-static") == "activated");
  std::string addr;
  CHECK(peer.sh("ip -n " + peer.env("NETNS") + " -4 addr show nmveth0", &addr) == 0);
  CHECK(addr.find("192.0.2.1/24") != std::string::npos);
  CHECK(peer.sh("nmcli connection down veth-static", &out) == 0);
}

TEST_CASE("real NM: 200 dials with a 1 s timeout of a profile that connects in milliseconds: none is timed out",
          "[real-peer][realnm][timeout]") {
  // The runtime's clock (dial timeouts only: the NetworkManager backend keeps no time of its
  // own) is virtual, so each dial's second passes at once after `connected` instead of being
  // waited for: a timer that `connected` did not disarm fires then.
  Peer peer("start-realnm.sh");
  auto clock = std::make_shared<VirtualScheduler>();
  auto options = peer.runtime_options();
  options.scheduler = clock;
  Runtime runtime(options);
  Dialer dialer = nm_dialer(runtime);
  int timed_out = 0;
  int connected = 0;
  std::string first_failure;
  for (int i = 0; i < 200; ++i) {
    Events events;
    DialOptions o;
    o.timeout = 1s;
    auto conn = dialer.dial("veth-static", o, events.slot());
    INFO("dial " << i << ": " << (conn ? std::string() : conn.error().message()));
    REQUIRE(conn);
    REQUIRE(events.wait([](const std::vector<Event>& all) {
      return !all.empty() && (all.back().state == State::connected || all.back().state == State::disconnected);
    }));
    if (events.all().back().state == State::connected) ++connected;
    clock->advance(2s);  // the timeout's time passes
    REQUIRE(conn->hangup());
    REQUIRE(conn->wait_until_ended(10s));
    const auto last = events.all().back();
    if (last.error && last.error->code == Errc::timeout) {
      ++timed_out;
      if (first_failure.empty()) first_failure = "dial " + std::to_string(i) + ":\n" + events.dump();
    } else {
      CHECK(last.reason == "local hang-up");
      CHECK_FALSE(last.error);
    }
  }
  INFO(first_failure);
  CHECK(connected == 200);
  CHECK(timed_out == 0);
}

#if defined(DIALKIT_CLI_BINARY)
TEST_CASE("real NM: the CLI dials through the plugin and shows live states and hangs up", "[real-peer][realnm][cli]") {
  Peer peer("start-realnm.sh");
  std::string out;
  const int rc = peer.sh(std::string("DIALKIT_PLUGIN_PATH=") + DIALKIT_TEST_PLUGIN_DIR + " " + DIALKIT_CLI_BINARY +
                             " dial veth-static --backend networkmanager --json --hangup-after 1",
                         &out);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("\"auth_project\"") != std::string::npos);
  CHECK(out.find("\"connected\"") != std::string::npos);
  CHECK(out.find("local hang-up") != std::string::npos);
}
#endif

#if defined(DIALKIT_CLI_BINARY)
TEST_CASE("real NM: `dialkit dial --timeout 1` of a profile that connects at once is never timed out",
          "[real-peer][realnm][cli][timeout]") {
  // As a user met it: connected within tens of milliseconds, then hung up at 1 s with
  // "timeout ... not connected within 1000 ms" and exit 7 (7 of 20 runs).
  Peer peer("start-realnm.sh");
  for (int i = 0; i < 10; ++i) {
    std::string out;
    const int rc = peer.sh(std::string("DIALKIT_PLUGIN_PATH=") + DIALKIT_TEST_PLUGIN_DIR + " " + DIALKIT_CLI_BINARY +
                               " dial veth-static --backend networkmanager --json --timeout 1 --hangup-after 1.5 2>&1",
                           &out);
    INFO("run " << i << ":\n" << out);
    REQUIRE(rc == 0);
    CHECK(out.find("\"connected\"") != std::string::npos);
    CHECK(out.find("timeout") == std::string::npos);
    CHECK(out.find("local hang-up") != std::string::npos);
  }
}
#endif

#if defined(DIALKIT_CLI_BINARY)
TEST_CASE("real NM: `dialkit watch` shows an activation made with nmcli", "[real-peer][realnm][cli]") {
  Peer peer("start-realnm.sh");
  const auto out = (peer.dir() / "watch.out").string();
  // The watch runs in the background; its bus connection existing is the readiness sign (a
  // watch also adopts what is already active, so nmcli racing its set-up still shows).
  REQUIRE(peer.sh(std::string("{ DIALKIT_PLUGIN_PATH=") + DIALKIT_TEST_PLUGIN_DIR + " setsid " + DIALKIT_CLI_BINARY +
                  " watch --backend networkmanager --json > " + out + " 2>&1 & echo $! > " +
                  (peer.dir() / "watch.pid").string() + "; echo $! >> " +
                  (peer.dir() / "pids").string() + "; }") == 0);  // stop.sh ends it if the test fails
  std::string pid;
  REQUIRE(peer.sh("cat " + (peer.dir() / "watch.pid").string(), &pid) == 0);
  pid.erase(pid.find_last_not_of(" \n") + 1);
  std::string text;
  bool ready = false;
  for (int i = 0; i < 500 && !ready; ++i) {
    ready = peer.sh("busctl --system --no-legend list | awk '{print $2}' | grep -qx " + pid) == 0;
  }
  CHECK(ready);
  std::string nmcli;
  CHECK(peer.sh("nmcli connection up veth-static", &nmcli) == 0);
  CHECK(peer.sh("nmcli connection down veth-static", &nmcli) == 0);
  bool seen = false;
  for (int i = 0; i < 500 && !seen; ++i) {
    seen = peer.sh("grep -q '\"disconnected\"' " + out) == 0;
  }
  (void)peer.sh("kill -INT " + pid + "; for i in $(seq 1 200); do kill -0 " + pid + " 2>/dev/null || break; sleep 0.01; done; kill -KILL " + pid + " 2>/dev/null; true");
  (void)peer.sh("cat " + out, &text);
  INFO(text << nmcli);
  CHECK(seen);
  CHECK(text.find("veth-static") != std::string::npos);
  CHECK(text.find("\"connected\"") != std::string::npos);
}
#endif
