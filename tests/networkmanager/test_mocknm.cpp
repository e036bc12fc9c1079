// Against python-dbusmock's NetworkManager (extended by harness/nm_template.py) and its polkitd
// template, for what a real NM cannot do here: PPPoE and VPN profiles, NEED_AUTH answered by
// the backend's secret agent (pause -> resume -> connected), and a polkit denial. The harness
// (harness/mockctl.py) plays NM: it drives every state and calls the agent's GetSecrets.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <future>

#include <dialkit/networkmanager.hpp>

#include "harness.hpp"

using namespace dialkit;
using namespace dialkit::nm::test;
using namespace std::chrono_literals;

namespace {

struct MockNm {
  Peer peer{"start-mocknm.sh"};
  Runtime runtime{peer.runtime_options()};
  Dialer dialer = [](Runtime& r) {
    r.add_backend(networkmanager::make_factory());
    auto d = r.dialer("networkmanager");
    if (!d) FAIL(d.error().message());
    return *d;
  }(runtime);

  int ctl(const std::string& args, std::string* out = nullptr) const {
    return peer.sh(std::string("/usr/bin/python3 ") + DIALKIT_NM_HARNESS_DIR + "/mockctl.py " + args, out);
  }
  // The active connection of the one live dial.
  std::string active_path() const {
    auto live = dialer.connections();
    REQUIRE(live);
    REQUIRE(live->size() == 1);
    return live->front().id;
  }
  // NM asks the agent of this process for secrets; the answer comes back when the future is read.
  std::future<std::string> get_secrets(const std::string& profile, const std::string& setting,
                                       std::uint32_t flags) const {
    return std::async(std::launch::async, [=, this] {
      std::string out;
      // Its own output file: the test's other mockctl calls run meanwhile.
      const auto file = (peer.dir() / ("secrets-" + setting + std::to_string(flags) + ".out")).string();
      (void)peer.sh(std::string("/usr/bin/python3 ") + DIALKIT_NM_HARNESS_DIR + "/mockctl.py secrets " +
                    std::to_string(::getpid()) + " " + profile + " " + setting + " " + std::to_string(flags) +
                    " > " + file + "; cat " + file,
                    &out);
      return out;
    });
  }
};

}  // namespace

TEST_CASE("mock NM: entries are profiles with their types", "[real-peer][mocknm]") {
  MockNm nm;
  auto entries = nm.dialer.entries();
  REQUIRE(entries);
  std::map<std::string, std::string> types;
  for (const auto& e : *entries) types[e.name] = e.type;
  CHECK(types["veth-wired"] == "ethernet");
  CHECK(types["dsl"] == "pppoe");
  CHECK(types["office-vpn"] == "vpn");
}

TEST_CASE("mock NM: PPPoE NEED_AUTH without credentials pauses and resume answers the agent and it connects",
          "[real-peer][mocknm][secrets]") {
  MockNm nm;
  Events events;
  DialOptions options;
  options.handle_paused_states = true;
  auto conn = nm.dialer.dial("dsl", options, events.slot());
  REQUIRE(conn);
  const auto ac = nm.active_path();
  INFO(events.dump());
  REQUIRE(nm.ctl("dev dsl0 40 0 50 0 60 0") == 0);
  REQUIRE(events.wait_for_state(State::connecting_device));
  auto answer = nm.get_secrets("dsl", "pppoe", 0x1);
  REQUIRE(events.wait_for_state(State::retry_authentication));
  CHECK(conn->status().state == State::retry_authentication);
  REQUIRE(conn->resume(Credentials{"alice", Secret("s3cret"), ""}));
  REQUIRE(answer.wait_for(10s) == std::future_status::ready);
  CHECK(answer.get().find("pppoe.password=s3cret") != std::string::npos);
  REQUIRE(nm.ctl("dev dsl0 70 0 100 0") == 0);
  REQUIRE(nm.ctl("ac " + ac + " 2 0") == 0);
  REQUIRE(events.wait_for_state(State::connected));
  std::vector<State> states;
  for (const auto& e : events.all()) states.push_back(e.state);
  CHECK(states == std::vector<State>{State::opening_port, State::connecting_device, State::retry_authentication,
                                     State::authenticating, State::auth_project, State::connected});
  REQUIRE(conn->hangup());
  REQUIRE(conn->wait_until_ended(5s));
  CHECK(events.all().back().reason == "local hang-up");
}

TEST_CASE("mock NM: a pause the caller does not handle ends with authentication_failed",
          "[real-peer][mocknm][secrets]") {
  MockNm nm;
  Events events;
  auto conn = nm.dialer.dial("dsl", {}, events.slot());
  REQUIRE(conn);
  INFO(events.dump());
  REQUIRE(nm.ctl("dev dsl0 40 0 50 0 60 0") == 0);
  auto answer = nm.get_secrets("dsl", "pppoe", 0x1);
  REQUIRE(conn->wait_until_ended(10s));
  const auto last = events.all().back();
  CHECK(last.state == State::disconnected);
  REQUIRE(last.error);
  CHECK(last.error->code == Errc::authentication_failed);
  // The agent's pending answer is not left hanging: NM hears the dial gave up.
  REQUIRE(answer.wait_for(10s) == std::future_status::ready);
  CHECK(answer.get().find("error org.freedesktop.NetworkManager.SecretAgent.") != std::string::npos);
}

TEST_CASE("mock NM: credentials rejected (REQUEST_NEW) pause again", "[real-peer][mocknm][secrets]") {
  MockNm nm;
  Events events;
  DialOptions options;
  options.handle_paused_states = true;
  options.credentials = Credentials{"alice", Secret("wrong"), ""};
  auto conn = nm.dialer.dial("dsl", options, events.slot());
  REQUIRE(conn);
  INFO(events.dump());
  REQUIRE(nm.ctl("dev dsl0 40 0 50 0 60 0") == 0);
  auto first = nm.get_secrets("dsl", "pppoe", 0x1);
  REQUIRE(first.wait_for(10s) == std::future_status::ready);
  CHECK(first.get().find("pppoe.password=wrong") != std::string::npos);
  REQUIRE(events.wait_for_state(State::authenticating));
  auto second = nm.get_secrets("dsl", "pppoe", 0x3);
  REQUIRE(events.wait_for_state(State::retry_authentication));
  REQUIRE(conn->resume(Credentials{"alice", Secret("right"), ""}));
  REQUIRE(second.wait_for(10s) == std::future_status::ready);
  CHECK(second.get().find("pppoe.password=right") != std::string::npos);
}

TEST_CASE("mock NM: a VPN with credentials connects on VPN states and and a remote disconnect is clean",
          "[real-peer][mocknm][vpn]") {
  MockNm nm;
  Events events;
  DialOptions options;
  options.credentials = Credentials{"bob", Secret("vpnpass"), ""};
  auto conn = nm.dialer.dial("office-vpn", options, events.slot());
  REQUIRE(conn);
  const auto ac = nm.active_path();
  INFO(events.dump());
  REQUIRE(nm.ctl("ac " + ac + " 1 0") == 0);
  REQUIRE(nm.ctl("vpn " + ac + " 1 1") == 0);
  REQUIRE(nm.ctl("vpn " + ac + " 2 1") == 0);
  auto answer = nm.get_secrets("office-vpn", "vpn", 0x1);
  REQUIRE(answer.wait_for(10s) == std::future_status::ready);
  const auto text = answer.get();
  INFO(text);
  CHECK(text.find("vpn.secrets=") != std::string::npos);
  CHECK(text.find("'password'") != std::string::npos);
  CHECK(text.find("'vpnpass'") != std::string::npos);
  REQUIRE(nm.ctl("vpn " + ac + " 3 1") == 0);
  REQUIRE(nm.ctl("vpn " + ac + " 4 1") == 0);
  REQUIRE(nm.ctl("vpn " + ac + " 5 1") == 0);
  REQUIRE(events.wait_for_state(State::connected));
  CHECK(events.all().back().native_name == "NM_VPN_CONNECTION_STATE_ACTIVATED");
  REQUIRE(nm.ctl("vpn " + ac + " 7 2") == 0);
  REQUIRE(conn->wait_until_ended(5s));
  const auto last = events.all().back();
  CHECK_FALSE(last.error);
  CHECK(last.reason.find("USER_DISCONNECTED") != std::string::npos);
}

TEST_CASE("mock NM: a polkit denial is permission_denied", "[real-peer][mocknm][polkit]") {
  MockNm nm;
  REQUIRE(nm.ctl("allow") == 0);  // polkitd mock: nothing allowed
  auto conn = nm.dialer.dial("veth-wired");
  REQUIRE_FALSE(conn);
  CHECK(conn.error().code == Errc::permission_denied);
  CHECK(conn.error().native_text == "org.freedesktop.NetworkManager.PermissionDenied");
  REQUIRE(nm.ctl("allow org.freedesktop.NetworkManager.network-control") == 0);
  auto allowed = nm.dialer.dial("veth-wired");
  CHECK(allowed);
}
