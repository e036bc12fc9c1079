// The NetworkManager backend against dialkit's conformance suite (plugins/conformance), on the
// peers of the real-peer tests (harness/): python-dbusmock's NM ("dbusmock", argument
// --peer=dbusmock) and a real NetworkManager in its own network namespace (--peer=real). A
// missing prerequisite (root, ip netns, NetworkManager, python3-dbusmock) is a skip (77) with
// its reason.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <dialkit/conformance.hpp>

#include "backend.hpp"

#include "../skip.hpp"
#include "harness.hpp"

using namespace dialkit;
using namespace dialkit::nm::test;
using namespace std::chrono_literals;

namespace {

// What the peer's start script needs, or empty.
std::string missing_for(bool real) {
  if (::geteuid() != 0) return "root (ip netns, private buses)";
  if (std::system("command -v dbus-daemon >/dev/null 2>&1") != 0) return "dbus-daemon";
  if (real) {
    if (std::system("command -v NetworkManager >/dev/null 2>&1") != 0) return "NetworkManager (network-manager)";
    if (std::system("ip netns list >/dev/null 2>&1") != 0) return "ip netns";
  } else if (std::system("/usr/bin/python3 -c 'import dbusmock' >/dev/null 2>&1") != 0) {
    return "python3-dbusmock";
  }
  return {};
}

conformance::Report run_on(const Peer& peer, conformance::Options options) {
  const auto o = peer.runtime_options();
  options.time = conformance::Options::Time::real_time;
  if (std::getenv("DIALKIT_CONFORMANCE_VERBOSE") != nullptr)
    options.log = [](const std::string& line) { std::cout << "  " << line << std::endl; };
  options.backend_options = o.backend_options.at("networkmanager");
  return conformance::run(networkmanager::make_factory(), options);
}

}  // namespace

TEST_CASE("the networkmanager backend passes the conformance suite on python-dbusmock's NM",
          "[conformance][dbusmock]") {
  if (const auto missing = missing_for(false); !missing.empty()) {
    DIALKIT_SKIP("needs " + missing);
    return;
  }
  Peer peer("start-mocknm.sh");
  // Device activations walk to ACTIVATED by themselves; the PPPoE and VPN profiles stay where
  // the mock leaves them until a harness drives them (test_mocknm.cpp does), so the suite
  // hangs those up where they stand, after a short wait.
  REQUIRE(peer.sh(std::string("/usr/bin/python3 ") + DIALKIT_NM_HARNESS_DIR + "/mockctl.py auto") == 0);
  conformance::Options options;
  options.entries = {"veth-wired", "dsl", "office-vpn"};
  options.fixture.connects = "veth-wired";
  options.real_time_limit = 2s;
  const auto report = run_on(peer, options);
  std::cout << report.summary();
  INFO(report.summary());
  CHECK_FALSE(report.skipped());
  CHECK(report.passed());
}

TEST_CASE("the networkmanager backend passes the conformance suite on a real NetworkManager",
          "[conformance][realnm]") {
  if (const auto missing = missing_for(true); !missing.empty()) {
    DIALKIT_SKIP("needs " + missing);
    return;
  }
  Peer peer("start-realnm.sh");
  conformance::Options options;
  // A static profile that connects and one whose DHCP fails after 2 s (not no-such-device:
  // NM refuses it at ActivateConnection, so dial() fails before any event; test_realnm.cpp
  // has it).
  options.entries = {"veth-static", "veth-dhcp-fail"};
  options.fixture.connects = "veth-static";
  const auto report = run_on(peer, options);
  std::cout << report.summary();
  INFO(report.summary());
  CHECK_FALSE(report.skipped());
  CHECK(report.passed());
}
