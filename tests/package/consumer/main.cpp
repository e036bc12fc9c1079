// A dialkit user's program: loads the mock plugin from one directory only (so a plugin found
// anywhere else does not count), dials the shipped "success" scenario in virtual time, hangs
// up, and checks what it got. Exit 0 when everything was as dialkit promises.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <dialkit/runtime.hpp>
#include <dialkit/scheduler.hpp>
#include <dialkit/state.hpp>

#ifndef CONSUMER_PLUGIN_DIR
#error "CONSUMER_PLUGIN_DIR: the directory of the mock plugin"
#endif
#ifndef CONSUMER_SCENARIO_DIR
#error "CONSUMER_SCENARIO_DIR: the directory of the mock's scenarios"
#endif

namespace {

int failed(const std::string& what) {
  std::cerr << "consumer: FAILED: " << what << '\n';
  return 1;
}

}  // namespace

int main() {
  namespace fs = std::filesystem;
  const fs::path plugin_dir = fs::weakly_canonical(CONSUMER_PLUGIN_DIR);
  auto clock = std::make_shared<dialkit::VirtualScheduler>();
  dialkit::RuntimeOptions options;
  options.plugins.paths = {plugin_dir};
  options.plugins.use_environment = false;
  options.plugins.use_install_dir = false;
  options.plugins.use_build_tree = false;
  options.scheduler = clock;
  options.delivery = dialkit::RuntimeOptions::Delivery::inline_delivery;
  options.backend_options["mock"]["scenario_dirs"] = CONSUMER_SCENARIO_DIR;
  dialkit::Runtime runtime(options);

  bool mock_found = false;
  for (const auto& b : runtime.backends()) {
    std::cout << "backend " << b.name << " at " << b.path << '\n';
    if (b.name == "mock" && fs::path(b.path).parent_path() == plugin_dir) mock_found = true;
  }
  for (const auto& r : runtime.refused_plugins())
    std::cout << "refused " << r.path << ": " << r.error.message() << '\n';
  if (!mock_found) return failed("no mock plugin loaded from " + plugin_dir.string());

  auto dialer = runtime.dialer("mock");
  if (!dialer) return failed("dialer: " + dialer.error().message());
  std::vector<dialkit::Event> events;
  auto connection = dialer->dial("success", {}, [&events](const dialkit::Event& e) {
    std::cout << e.seq << ' ' << dialkit::state_name(e.state) << '\n';
    events.push_back(e);
  });
  if (!connection) return failed("dial: " + connection.error().message());
  clock->run_until_idle();
  if (events.empty() || events.back().state != dialkit::State::connected)
    return failed("the success scenario did not end connected");
  if (auto done = connection->hangup(); !done) return failed("hangup: " + done.error().message());
  clock->run_until_idle();
  if (events.back().state != dialkit::State::disconnected || events.back().reason != "local hang-up")
    return failed("the hang-up did not end in disconnected (local hang-up)");
  if (runtime.illegal_transitions() != 0) return failed("illegal transitions");
  std::cout << "consumer: OK (" << events.size() << " events)\n";
  return EXIT_SUCCESS;
}
