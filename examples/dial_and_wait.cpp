// rasdial's shape: one blocking call dials and returns the connection once it is up, or the
// error that ended it (Errc::timeout when the time ran out: the dial is then hung up, nothing
// is left running). A password prompt is answered by the handler, which receives the
// connection; the completion callback says once how the dial ended up.
//
//   printf 'wrong\nletmein\n' | dial_and_wait mock wrong-password
#include <dialkit/runtime.hpp>

#include <chrono>
#include <iostream>
#include <string>

namespace {

dialkit::Secret read_password() {
  std::string line;
  std::getline(std::cin, line);
  dialkit::Secret password(line);
  dialkit::secure_wipe(line);
  return password;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string backend = argc > 1 ? argv[1] : "pppd";
  const std::string entry = argc > 2 ? argv[2] : "myisp";

  dialkit::Runtime runtime;
  auto dialer = runtime.dialer(backend);
  if (!dialer) {
    std::cerr << dialer.error().message() << '\n';
    return 1;
  }
  dialkit::DialOptions options;
  options.credentials = dialkit::Credentials{"alice", read_password(), ""};
  options.handle_paused_states = true;

  auto connection = dialer->dial_and_wait(entry, options, std::chrono::seconds(60),
                                          [](dialkit::Connection& c, const dialkit::Event& e) {
                                            std::cout << e.seq << ' ' << dialkit::state_name(e.state) << '\n';
                                            if (e.state != dialkit::State::retry_authentication) return;
                                            if (auto r = c.resume(dialkit::Credentials{"alice", read_password(), ""}); !r)
                                              std::cerr << r.error().message() << '\n';
                                          });
  if (!connection) {
    std::cerr << "dial failed: " << connection.error().message() << '\n';
    return 1;
  }
  std::cout << "connected on " << connection->status().device.device_name << '\n';
  if (auto r = connection->hangup(); !r) {
    std::cerr << r.error().message() << '\n';
    return 1;
  }
  const auto end = connection->wait_for(dialkit::State::disconnected, std::chrono::seconds(10));
  std::cout << "ended: " << (end.event ? end.event->reason : dialkit::wait_status_name(end.status)) << '\n';
  return end ? 0 : 1;
}
