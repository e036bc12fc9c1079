// Dials with C++20 coroutines on a Boost.Asio io_context (<dialkit/asio.hpp>): the dial is one
// co_await, a password prompt is answered by the event handler (it receives the connection),
// and the hang-up is awaited like any other operation. Every slot and completion runs on the
// io_context's thread: the runtime delivers events there (dialkit::asio::runtime_options).
//
//   printf 'wrong\nletmein\n' | coroutine_dial mock wrong-password
#include <dialkit/asio.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <iostream>
#include <string>

namespace net = boost::asio;

namespace {

// A password from one line of stdin: never from argv, which every user can read.
dialkit::Secret read_password() {
  std::string line;
  std::getline(std::cin, line);
  dialkit::Secret password(line);
  dialkit::secure_wipe(line);
  return password;
}

net::awaitable<int> dial_and_hang_up(dialkit::Dialer dialer, std::string entry) {
  dialkit::DialOptions options;
  options.credentials = dialkit::Credentials{"alice", read_password(), ""};
  options.handle_paused_states = true;  // we answer retry_authentication below
  options.timeout = std::chrono::seconds(60);

  // Runs on the io_context's thread for every event; `connection` is the dial's own handle.
  auto on_event = [](dialkit::Connection& connection, const dialkit::Event& e) {
    std::cout << e.seq << ' ' << dialkit::state_name(e.state) << '\n';
    if (e.state == dialkit::State::retry_authentication) {
      std::cout << "password rejected, asking again\n";
      if (auto resumed = connection.resume(dialkit::Credentials{"alice", read_password(), ""}); !resumed)
        std::cerr << resumed.error().message() << '\n';
    }
  };
  auto connection = co_await dialkit::asio::async_dial(dialer, entry, options, on_event, net::use_awaitable);
  if (!connection) {
    std::cerr << "dial failed: " << connection.error().message() << '\n';
    co_return 1;
  }
  std::cout << "connected on " << connection->status().device.device_name << '\n';

  if (auto hung_up = connection->hangup(); !hung_up) {
    std::cerr << hung_up.error().message() << '\n';
    co_return 1;
  }
  auto end = co_await dialkit::asio::async_wait_for(*connection, dialkit::State::disconnected, net::use_awaitable);
  std::cout << "ended: " << end.event->reason << '\n';
  co_return end ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string backend = argc > 1 ? argv[1] : "pppd";
  const std::string entry = argc > 2 ? argv[2] : "myisp";

  net::io_context io;  // before the runtime: the runtime posts to it until it is gone
  dialkit::Runtime runtime(dialkit::asio::runtime_options(io.get_executor()));
  auto dialer = runtime.dialer(backend);
  if (!dialer) {
    std::cerr << dialer.error().message() << '\n';
    return 1;
  }
  int status = 1;
  net::co_spawn(io, dial_and_hang_up(*dialer, entry), [&status](std::exception_ptr error, int result) {
    status = error ? 2 : result;
  });
  io.run();  // returns once the coroutine is done
  return status;
}
