// A dialkit::Runtime in virtual time with inline delivery and the mock added in-process, and
// what its tests need to drive dials: recorded events, diagnostics, the right resume inputs.
#pragma once

#include <catch2/catch.hpp>

#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <dialkit/mock.hpp>
#include <dialkit/runtime.hpp>
#include <dialkit/scheduler.hpp>

namespace mock_test {

using namespace std::chrono_literals;
using dialkit::State;

struct Harness {
  explicit Harness(std::map<std::string, std::string> mock_options = {}) {
    dialkit::RuntimeOptions options;
    options.load_plugins = false;
    options.delivery = dialkit::RuntimeOptions::Delivery::inline_delivery;
    options.scheduler = scheduler;
    options.backend_options["mock"] = std::move(mock_options);
    runtime = std::make_unique<dialkit::Runtime>(std::move(options));
    runtime->add_backend(factory);
    diagnostics_subscription = runtime->on_diagnostic(
        [this](const dialkit::Diagnostic& d) { diagnostics.push_back(d); });
  }

  dialkit::Dialer dialer() {
    auto d = runtime->dialer("mock");
    REQUIRE(d.has_value());
    return *d;
  }

  // Dials and records the events; `on_event` runs after each one is recorded.
  dialkit::Connection dial(const std::string& entry, dialkit::DialOptions options = {},
                           std::function<void(const dialkit::Event&)> on_event = {}) {
    auto c = dialer().dial(entry, std::move(options), [this, on_event](const dialkit::Event& e) {
      events.push_back(e);
      if (on_event) on_event(e);
    });
    INFO((c ? std::string() : c.error().message()));
    REQUIRE(c.has_value());
    dial_time = scheduler->now();
    // Core drops a dial silently when its last Connection handle goes; keep every one.
    connections.push_back(*c);
    return *c;
  }

  [[nodiscard]] std::vector<State> states() const {
    std::vector<State> out;
    for (const auto& e : events) out.push_back(e.state);
    return out;
  }

  [[nodiscard]] std::optional<State> last_state() const {
    if (events.empty()) return std::nullopt;
    return events.back().state;
  }

  // Milliseconds since dial() of each event.
  [[nodiscard]] std::vector<long long> times_ms() const {
    std::vector<long long> out;
    for (const auto& e : events)
      out.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(e.time - dial_time).count());
    return out;
  }

  // Declared before the runtime: its destructor still delivers the final events to them.
  std::vector<dialkit::Event> events;
  std::vector<dialkit::Diagnostic> diagnostics;
  dialkit::Clock::time_point dial_time{};
  std::shared_ptr<dialkit::VirtualScheduler> scheduler = std::make_shared<dialkit::VirtualScheduler>();
  std::shared_ptr<dialkit::mock::MockFactory> factory = dialkit::mock::make_factory();
  std::unique_ptr<dialkit::Runtime> runtime;
  dialkit::Subscription diagnostics_subscription;
  std::vector<dialkit::Connection> connections;
};

inline std::string names(const std::vector<State>& states) {
  std::string out;
  for (auto s : states) out += (out.empty() ? "" : " ") + std::string(dialkit::state_name(s));
  return out;
}

// The input that ends each shipped scenario's pause the right way.
inline std::optional<dialkit::ResumeInput> right_input(State paused) {
  switch (paused) {
    case State::retry_authentication:
      return dialkit::ResumeInput{dialkit::Credentials{"user", dialkit::Secret("letmein"), {}}};
    case State::password_expired:
      return dialkit::ResumeInput{dialkit::NewPassword{dialkit::Secret("n3w-passw0rd")}};
    case State::callback_set_by_caller:
      return dialkit::ResumeInput{dialkit::CallbackNumber{"555-0199"}};
    default:
      return std::nullopt;
  }
}

// A runtime with only the mock and two scenarios, for the tests that wait: `fast` steps through
// `fast_states` 1 ms apart, `slow` opens the port and connects only after a minute. `options`
// says how events are delivered (a real-time dispatcher, an Asio executor).
struct FastSlowRuntime {
  explicit FastSlowRuntime(dialkit::RuntimeOptions options,
                           std::initializer_list<State> fast_states = {State::opening_port, State::connected}) {
    options.load_plugins = false;
    runtime = std::make_unique<dialkit::Runtime>(std::move(options));
    auto factory = dialkit::mock::make_factory();
    dialkit::mock::ScenarioBuilder fast_builder("fast");
    for (auto state : fast_states) fast_builder.step(state, 1ms);
    auto fast = fast_builder.build();
    auto slow = dialkit::mock::ScenarioBuilder("slow").step(State::opening_port, 1ms).step(State::connected, 60s).build();
    REQUIRE(fast.has_value());
    REQUIRE(slow.has_value());
    REQUIRE(factory->add_scenario(*fast).has_value());
    REQUIRE(factory->add_scenario(*slow).has_value());
    runtime->add_backend(factory);
    auto d = runtime->dialer("mock");
    REQUIRE(d.has_value());
    dialer.emplace(*d);
  }
  std::unique_ptr<dialkit::Runtime> runtime;
  std::optional<dialkit::Dialer> dialer;
};

inline const std::vector<std::string>& shipped_scenarios() {
  static const std::vector<std::string> names{
      "success",   "busy",           "no-answer", "no-dialtone", "wrong-password",
      "password-expired", "callback", "peer-drop", "multilink",   "slow-vpn"};
  return names;
}

}  // namespace mock_test
