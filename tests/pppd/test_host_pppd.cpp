// The real /usr/sbin/pppd on this host, through the real plugin (dialkit-backend-pppd from
// the build tree): the host kernel has no PPP, so pppd loads dialkit's pppd-side plugin and
// then exits 4 with no notifier; the backend must report that from the exit status and
// pppd's own message.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <dialkit/runtime.hpp>

#include "test_helpers.hpp"

namespace fs = std::filesystem;
using namespace dialkit;
using namespace std::chrono_literals;

TEST_CASE("host pppd without kernel PPP: the exit-4 path through the backend", "[pppd][host]") {
  REQUIRE(fs::exists("/usr/sbin/pppd"));
  const int fd = ::open("/dev/ppp", O_RDWR);
  const bool kernel_has_ppp = fd >= 0;
  if (fd >= 0) ::close(fd);

  const auto peers = fs::temp_directory_path() / ("dialkit-pppd-host-" + std::to_string(::getpid()));
  fs::create_directories(peers);
  std::ofstream(peers / "hostpeer") << "# host test peer\nnoauth\npty \"cat >/dev/null\"\n";

  RuntimeOptions o;
  o.plugins.paths = {DIALKIT_TEST_PLUGIN_DIR};
  o.plugins.use_environment = false;
  o.plugins.use_install_dir = false;
  o.plugins.use_build_tree = false;
  o.backend_options["pppd"] = {{"peers_dir", peers.string()}};
  Runtime runtime(o);
  auto dialer = runtime.dialer("pppd");
  REQUIRE(dialer);
  auto entries = dialer->entries();
  REQUIRE(entries);
  REQUIRE(entries->size() == 1);
  CHECK((*entries)[0].type == "pty");

  auto collector = std::make_shared<pppd::test::Collector>();
  DialOptions d;
  d.credentials = Credentials{"client", Secret("host-canary"), {}};
  auto c = dialer->dial("hostpeer", d, [collector](const Event& e) { (*collector)(e); });
  REQUIRE(c);
  REQUIRE(collector->wait_for(State::disconnected, 10s));
  fs::remove_all(peers);
  const auto events = collector->events();
  if (kernel_has_ppp) {
    // Not this machine's case; then pppd must at least get past the kernel check.
    REQUIRE(events.back().error);
    CHECK(events.back().error->native_code != 4);
    return;
  }
  CHECK(collector->joined() == "opening_port disconnected");
  const auto& last = events.back();
  REQUIRE(last.error);
  CHECK(last.error->code == Errc::system_error);
  CHECK(last.error->native_code == 4);
  CHECK(last.native_name == "EXIT_NO_KERNEL_SUPPORT");
  CHECK_THAT(last.error->detail, Catch::Contains("no kernel PPP support"));
  CHECK_THAT(last.error->detail, Catch::Contains("Couldn't open the /dev/ppp device"));
  CHECK_THAT(last.error->detail, Catch::Contains("mknod /dev/ppp c 108 0"));
  CHECK(runtime.illegal_transitions() == 0);
}
