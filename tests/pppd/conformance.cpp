// The pppd backend against dialkit's conformance suite (plugins/conformance), with the scripted
// stand-in for pppd (fake-pppd.sh) in real time. Its peers are copied into a directory of this
// run's own: the "ok" peer writes its command line next to itself, which the session tests read.
// Exit 0: passed; 1: a check failed.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <dialkit/conformance.hpp>

#include "backend.hpp"

namespace fs = std::filesystem;

int main() {
  const fs::path source_dir = fs::path(DIALKIT_TEST_SOURCE_DIR) / "tests/pppd";
  char made[] = "/tmp/dialkit-pppd-conformance-XXXXXX";
  if (::mkdtemp(made) == nullptr) {
    std::cerr << "conformance.pppd: cannot make a temporary directory\n";
    return 1;
  }
  const fs::path peers = made;
  fs::copy(source_dir / "fake-peers", peers / "peers");
  // The live listing (and so hang-up by id) finds a process named pppd that wrote
  // run/ppp0.pid, with net/ppp0 present: the fake through a link of that name, and the "ok"
  // peer writing its pid file first (as in test_session.cpp).
  for (const char* d : {"run", "net/ppp0", "bin"}) fs::create_directories(peers / d);
  fs::create_symlink(source_dir / "fake-pppd.sh", peers / "bin/pppd");
  {
    std::ofstream peer(peers / "peers/ok", std::ios::trunc);
    peer << "printf '%s\\nppp0\\n' $$ > '" << (peers / "run/ppp0.pid").string() << "'\n"
         << std::ifstream(source_dir / "fake-peers/ok").rdbuf();
  }

  dialkit::conformance::Options options;
  options.time = dialkit::conformance::Options::Time::real_time;
  options.backend_options = {{"peers_dir", (peers / "peers").string()},
                             {"pppd", (peers / "bin/pppd").string()},
                             {"pppd_plugin", DIALKIT_PPPD_HELPER},
                             {"run_dir", (peers / "run").string()},
                             {"sys_class_net", (peers / "net").string()},
                             {"kill_timeout_ms", "3000"}};
  // A connection, a refused password (a pause, then pppd again with the right one), a peer
  // that never answers and one that refuses IPCP.
  options.entries = {"ok", "noanswer", "ipcprefused"};
  options.credentials = dialkit::Credentials{"client", dialkit::Secret("right"), ""};
  options.fixture.connects = "ok";
  options.fixture.pauses = "ok";
  options.fixture.right_password = "right";
  options.fixture.user = "client";
  const auto report = dialkit::conformance::run(dialkit::pppd::make_factory(peers / "bin/pppd"), options);
  std::cout << report.summary();
  std::error_code ignored;
  fs::remove_all(peers, ignored);
  if (report.skipped()) return 77;
  return report.passed() ? 0 : 1;
}
