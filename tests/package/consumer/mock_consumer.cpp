// A dialkit user's own test of their dialer code on the mock: the static library
// dialkit::mock (from find_package) added in-process, no plugin loaded and no path given. The
// shipped "success" scenario comes from the scenarios of the libdialkit-core in use, and the
// dial runs in virtual time. Exit 0 when everything was as dialkit promises.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <dialkit/mock.hpp>
#include <dialkit/runtime.hpp>
#include <dialkit/scheduler.hpp>
#include <dialkit/state.hpp>

namespace {

int failed(const std::string& what) {
  std::cerr << "mock_consumer: FAILED: " << what << '\n';
  return 1;
}

}  // namespace

int main() {
  auto clock = std::make_shared<dialkit::VirtualScheduler>();
  dialkit::RuntimeOptions options;
  options.load_plugins = false;
  options.scheduler = clock;
  options.delivery = dialkit::RuntimeOptions::Delivery::inline_delivery;
  dialkit::Runtime runtime(options);
  runtime.add_backend(dialkit::mock::make_factory());

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
  if (events.back().state != dialkit::State::disconnected)
    return failed("the hang-up did not end in disconnected");
  std::cout << "mock_consumer: OK (" << events.size() << " events)\n";
  return EXIT_SUCCESS;
}
