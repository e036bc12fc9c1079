// Capabilities (DESIGN.md section 7): what a factory declares is what Runtime::backends()
// shows, and core refuses a dial option a backend does not declare with not_supported naming
// the option and the backend, before anything reaches the backend.
#include <catch2/catch.hpp>

#include <stdexcept>

#include <dialkit/capabilities.hpp>

#include "../../core/src/capabilities_internal.hpp"
#include "script_backend.hpp"

using namespace dialkit;
using namespace dialkit::test;

namespace {

// A factory that counts what core asks of it and declares what the test says.
class CountingFactory final : public BackendFactory {
 public:
  CountingFactory(std::shared_ptr<BackendLog> log, Capabilities declared, bool throws = false)
      : log_(std::move(log)), declared_(declared), throws_(throws) {}
  std::string name() const override { return "counting"; }
  std::string description() const override { return "counts core's calls"; }
  Capabilities capabilities() const override {
    if (throws_) throw std::runtime_error("no declaration today");
    return declared_;
  }
  Result<void> probe() const override {
    ++probes;
    return {};
  }
  Result<std::unique_ptr<Backend>> create(const BackendContext&) override {
    ++creates;
    return std::unique_ptr<Backend>(new ScriptBackend(log_));
  }
  mutable std::atomic<int> probes{0};
  std::atomic<int> creates{0};

 private:
  std::shared_ptr<BackendLog> log_;
  Capabilities declared_;
  bool throws_;
};

struct Asked {
  const char* name;
  const char* text;
  DialOptions options;
};

std::vector<Asked> each_option() {
  std::vector<Asked> out(3);
  out[0] = {"credentials", "credentials (--user, --password-stdin)", {}};
  out[0].options.credentials = Credentials{"user", Secret("pw"), {}};
  out[1] = {"phone_number", "a phone number (--phone)", {}};
  out[1].options.phone_number = "0800-123";
  out[2] = {"callback_number", "a callback number (--callback)", {}};
  out[2].options.callback_number = "555-0199";
  return out;
}

RuntimeOptions inline_options(std::shared_ptr<VirtualScheduler> clock) {
  RuntimeOptions o;
  o.load_plugins = false;
  o.delivery = RuntimeOptions::Delivery::inline_delivery;
  o.scheduler = std::move(clock);
  return o;
}

}  // namespace

TEST_CASE("core refuses each dial option a backend does not declare, naming option and backend, before the backend "
          "sees it",
          "[capabilities]") {
  auto log = std::make_shared<BackendLog>();
  auto factory = std::make_shared<CountingFactory>(log, Capabilities{});
  Runtime runtime(inline_options(std::make_shared<VirtualScheduler>()));
  runtime.add_backend(factory);
  for (const auto& asked : each_option()) {
    INFO(asked.name);
    // Asked of the runtime: refused without probing or creating the backend.
    auto checked = runtime.check_dial_options("counting", asked.options);
    REQUIRE_FALSE(checked);
    CHECK(checked.error().code == Errc::not_supported);
    CHECK_THAT(checked.error().detail, Catch::Contains(asked.name) && Catch::Contains(asked.text) &&
                                           Catch::Contains("the counting backend"));
    CHECK(factory->creates == 0);
    CHECK(factory->probes == 0);
  }
  // Through a dialer: the dial never reaches the backend.
  auto dialer = runtime.dialer("counting");
  REQUIRE(dialer);
  for (const auto& asked : each_option()) {
    INFO(asked.name);
    auto dialed = dialer->dial("line", asked.options);
    REQUIRE_FALSE(dialed);
    CHECK(dialed.error().code == Errc::not_supported);
    CHECK_THAT(dialed.error().detail, Catch::Contains(asked.name) && Catch::Contains("the counting backend"));
  }
  CHECK(log->count() == 0);
  CHECK(factory->creates == 1);  // by dialer(), which makes the backend before any option is known
  // With no option asked there is nothing to refuse.
  CHECK(dialer->dial("line", {}));
  CHECK(log->count() == 1);
}

TEST_CASE("a declared dial option reaches the backend, and an undeclared one beside it is still refused",
          "[capabilities]") {
  auto log = std::make_shared<BackendLog>();
  const auto declared = Capabilities{}.with(DialOption::credentials).with(DialOption::phone_number);
  auto factory = std::make_shared<CountingFactory>(log, declared);
  Runtime runtime(inline_options(std::make_shared<VirtualScheduler>()));
  runtime.add_backend(factory);
  auto dialer = runtime.dialer("counting");
  REQUIRE(dialer);
  DialOptions both;
  both.credentials = Credentials{"user", Secret("pw"), {}};
  both.phone_number = "0800-123";
  REQUIRE(dialer->dial("line", both));
  REQUIRE(log->count() == 1);
  CHECK(log->session(0)->request.phone_number == "0800-123");
  both.callback_number = "555-0199";
  auto refused = dialer->dial("line", both);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().detail, Catch::Contains("callback_number"));
  CHECK(log->count() == 1);
}

TEST_CASE("Runtime::backends() shows what each factory declares", "[capabilities]") {
  auto log = std::make_shared<BackendLog>();
  const auto declared = Capabilities{}
                            .with(DialOption::credentials)
                            .with_pause(State::retry_authentication)
                            .with_watch(WatchKind::polling)
                            .with_hangup_by_id();
  Runtime runtime(inline_options(std::make_shared<VirtualScheduler>()));
  runtime.add_backend(std::make_shared<CountingFactory>(log, declared));
  runtime.add_backend(std::make_shared<ScriptFactory>(log, "script", false, true, Capabilities{}));
  const auto listed = runtime.backends();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].name == "counting");
  CHECK(listed[0].capabilities == declared);
  CHECK(listed[1].capabilities == Capabilities{});
}

TEST_CASE("a factory whose capabilities() throws fails the dial with its text instead of ending the process",
          "[capabilities]") {
  auto log = std::make_shared<BackendLog>();
  auto factory = std::make_shared<CountingFactory>(log, Capabilities{}, true);
  Runtime runtime(inline_options(std::make_shared<VirtualScheduler>()));
  runtime.add_backend(factory);
  DialOptions o;
  o.phone_number = "0800-123";
  auto checked = runtime.check_dial_options("counting", o);
  REQUIRE_FALSE(checked);
  CHECK(checked.error().code == Errc::backend_failed);
  CHECK_THAT(checked.error().detail, Catch::Contains("no declaration today") && Catch::Contains("counting"));
  const auto listed = runtime.backends();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].capabilities == Capabilities{});  // declares nothing it cannot say
}

TEST_CASE("capabilities: the declaration is plain data and the check knows every option", "[capabilities]") {
  STATIC_REQUIRE(std::is_trivially_copyable_v<Capabilities>);
  STATIC_REQUIRE(std::is_standard_layout_v<Capabilities>);
  constexpr auto declared = Capabilities{}.with(DialOption::eap).with_pause(State::invoke_eap_ui);
  STATIC_REQUIRE(declared.honours(DialOption::eap));
  STATIC_REQUIRE_FALSE(declared.honours(DialOption::credentials));
  STATIC_REQUIRE(declared.can_pause(State::invoke_eap_ui));
  STATIC_REQUIRE_FALSE(declared.can_pause(State::retry_authentication));
  for (std::size_t i = 0; i < dial_option_table.size(); ++i)
    CHECK(static_cast<std::size_t>(dial_option_table[i].option) == i);

  CHECK(detail::check_declaration(Capabilities{}.with_every_pause()));
  auto running = Capabilities{}.with_pause(State::authenticating);
  CHECK_FALSE(detail::check_declaration(running));
  Capabilities unknown;
  unknown.dial_options = 1U << 20;
  CHECK_FALSE(detail::check_declaration(unknown));
  Capabilities info;
  info.connection_info = 1;
  CHECK_FALSE(detail::check_declaration(info));
  Capabilities book;
  book.phone_book = 1;
  CHECK_FALSE(detail::check_declaration(book));
}

TEST_CASE("capabilities: ras_capabilities declares every option, every pause and hang-up by id, with the watch given",
          "[capabilities]") {
  constexpr auto events = ras_capabilities(WatchKind::events);
  for (const auto& info : dial_option_table) CHECK(events.honours(info.option));
  for (const auto& info : state_table) CHECK(events.can_pause(info.state) == (info.group == StateGroup::paused));
  CHECK(events.watch == WatchKind::events);
  CHECK(events.hangup_by_id);
  CHECK_FALSE(events.idle_disconnect);
  CHECK(ras_capabilities(WatchKind::polling).watch == WatchKind::polling);
  CHECK(Capabilities{}.with_every_dial_option().dial_options == events.dial_options);
}
