// live_connections() and watch() from pid files: a process named pppd behind /run/ppp0.pid
// with its interface present is a connection; it ending is reported as disconnected.
#include <catch2/catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>

#include "backend.hpp"

#include "test_helpers.hpp"

namespace fs = std::filesystem;
using namespace dialkit;
using namespace std::chrono_literals;

namespace {

struct Sink final : WatchSink {
  void report(const std::string& id, const std::string& entry, NativeReport r) override {
    std::lock_guard lock(mutex);
    seen.emplace_back(id + " " + entry + " " + std::string(state_name(r.state)));
    cv.notify_all();
  }
  bool wait_count(std::size_t n) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, 10s, [&] { return seen.size() >= n; });
  }
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> seen;
};

}  // namespace

TEST_CASE("pppd watch: pid files with a live pppd are connections, and their end is reported", "[pppd][watch]") {
  const auto root = fs::temp_directory_path() / ("dialkit-pppd-watch-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "run");
  fs::create_directories(root / "net/ppp7");
  fs::create_directories(root / "bin");
  // A process whose name is "pppd" (a copy of sleep), as /proc/PID/comm shows it.
  fs::copy_file("/bin/sleep", root / "bin/pppd");
  pid_t pid = -1;
  const std::string prog = (root / "bin/pppd").string();
  char arg0[] = "pppd", arg1[] = "30";
  char* argv[] = {arg0, arg1, nullptr};
  REQUIRE(posix_spawn(&pid, prog.c_str(), nullptr, nullptr, argv, environ) == 0);
  std::ofstream(root / "run/ppp7.pid") << pid << "\n";
  std::ofstream(root / "run/ppp-stale.pid") << "999999\nppp9\n";  // no such process
  auto settings = pppd::settings_from_options({{"run_dir", (root / "run").string()},
                                               {"sys_class_net", (root / "net").string()},
                                               {"watch_interval_ms", "20"}});
  REQUIRE(settings);
  int st = 0;
  auto live = pppd::scan_live(*settings);
  REQUIRE(live.size() == 1);
  CHECK(live[0].id == "pppd:" + std::to_string(pid));
  CHECK(live[0].device == "ppp7");
  CHECK(live[0].state == State::connected);
  CHECK(live[0].entry == "ppp7");
  CHECK_FALSE(live[0].started_here);

  auto factory = pppd::make_factory("/bin/true");
  BackendContext ctx;
  ctx.options = {{"run_dir", (root / "run").string()},
                 {"sys_class_net", (root / "net").string()},
                 {"watch_interval_ms", "20"}};
  auto backend = factory->create(ctx);
  REQUIRE(backend);
  auto sink = std::make_shared<Sink>();
  auto handle = (*backend)->watch(sink);
  REQUIRE(handle);
  REQUIRE(sink->wait_count(1));
  REQUIRE((*backend)->hangup_live("pppd:" + std::to_string(pid)));
  ::waitpid(pid, &st, 0);
  REQUIRE(sink->wait_count(2));
  handle->reset();
  std::lock_guard lock(sink->mutex);
  CHECK(sink->seen[0].starts_with("pppd:" + std::to_string(pid)));
  CHECK(sink->seen[0].ends_with(" connected"));
  CHECK(sink->seen[1].ends_with(" disconnected"));
  CHECK_FALSE((*backend)->hangup_live("pppd:" + std::to_string(pid)));
  fs::remove_all(root);
}

TEST_CASE("pppd watch: an exception on the watch thread reaches BackendContext::failed, not std::terminate",
          "[pppd][watch]") {
  const auto root = fs::temp_directory_path() / ("dialkit-pppd-watch-throws-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "run");
  fs::create_directories(root / "net/ppp7");
  fs::create_directories(root / "bin");
  fs::copy_file("/bin/sleep", root / "bin/pppd");
  pid_t pid = -1;
  const std::string prog = (root / "bin/pppd").string();
  char arg0[] = "pppd", arg1[] = "30";
  char* argv[] = {arg0, arg1, nullptr};
  REQUIRE(posix_spawn(&pid, prog.c_str(), nullptr, nullptr, argv, environ) == 0);
  std::ofstream(root / "run/ppp7.pid") << pid << "\n";

  struct ThrowingSink final : WatchSink {
    void report(const std::string&, const std::string&, NativeReport) override {
      throw std::runtime_error("the test's sink refuses");
    }
  };
  dialkit::pppd::test::Failures failures;
  BackendContext ctx;
  ctx.options = {{"run_dir", (root / "run").string()},
                 {"sys_class_net", (root / "net").string()},
                 {"watch_interval_ms", "20"}};
  ctx.failed = failures.hook();
  auto backend = pppd::make_factory("/bin/true")->create(ctx);
  REQUIRE(backend);
  auto handle = (*backend)->watch(std::make_shared<ThrowingSink>());
  REQUIRE(handle);
  const auto what = failures.wait();
  REQUIRE(what);
  CHECK(*what == "the pppd backend's watch thread threw: the test's sink refuses");
  handle->reset();  // the thread ended: this joins at once
  CHECK(failures.count() == 1);
  ::kill(pid, SIGKILL);
  int st = 0;
  ::waitpid(pid, &st, 0);
  fs::remove_all(root);
}
