// The backend conformance suite (plugins/conformance) in the tree: the mock and the template
// backend pass it in-process, and a backend that breaks the contract in known ways fails it
// with exactly those failures (so a green run means something). Also the plugin kit's
// mapping helpers (plugins/include/dialkit/mapping.hpp). The platform backends run the suite
// next to their own tests (tests/pppd, tests/networkmanager, tests/ras: label conformance).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <dialkit/conformance.hpp>
#include <dialkit/mapping.hpp>
#include <dialkit/scheduler.hpp>

// By its path: the mock, linked beside it, has a src/backend.hpp of its own.
#include "../../plugins/template/src/backend.hpp"

#if defined(DIALKIT_TEST_HAVE_MOCK)
#include <dialkit/mock.hpp>
#endif

namespace {

using namespace dialkit;
using namespace std::chrono_literals;

std::set<std::string> failed_checks(const conformance::Report& report) {
  std::set<std::string> out;
  for (const auto& f : report.failures) out.insert(f.check);
  return out;
}

// A backend with one defect per entry:
//   no-native  fails with an error that has no native code;
//   illegal    reports authenticating after connected;
//   chatty     ignores hangup() and keeps reporting;
// and it accepts any entry, also one that does not exist (it connects).
class BrokenSession final : public Session {
 public:
  Result<void> resume(const ResumeInput&) override { return {}; }
  void hangup() override {}
  SessionStatus status() const override { return {}; }
};

class BrokenBackend final : public Backend {
 public:
  explicit BrokenBackend(std::shared_ptr<Scheduler> scheduler) : scheduler_(std::move(scheduler)) {}
  Result<std::vector<Entry>> entries() override {
    return std::vector<Entry>{{"no-native", "modem", ""}, {"illegal", "modem", ""},
                              {"chatty", "modem", ""}};
  }
  Result<std::unique_ptr<Session>> dial(const DialRequest& request,
                                        std::shared_ptr<Reporter> reporter) override {
    const std::string entry = request.entry;
    auto at = [this, reporter](Clock::duration delay, State state, std::optional<Error> error) {
      scheduler_->post_after(delay, [reporter, state, error] {
        NativeReport r;
        r.state = state;
        r.native_code = 1;
        r.native_name = "BROKEN";
        r.error = error;
        reporter->report(r);
      });
    };
    at(1ms, State::opening_port, std::nullopt);
    if (entry == "no-native") {
      at(2ms, State::disconnected, make_error(Errc::line_busy, "no native code"));
    } else if (entry == "illegal") {
      at(2ms, State::connected, std::nullopt);
      at(3ms, State::authenticating, std::nullopt);
    } else if (entry == "chatty") {
      for (int i = 2; i < 6; ++i) at(std::chrono::milliseconds(i), State::connecting_device, std::nullopt);
    } else {
      at(2ms, State::connected, std::nullopt);
    }
    return std::unique_ptr<Session>(new BrokenSession());
  }
  Result<std::vector<LiveConnection>> live_connections() override {
    return std::vector<LiveConnection>{};
  }

 private:
  std::shared_ptr<Scheduler> scheduler_;
};

class BrokenFactory final : public BackendFactory {
 public:
  std::string name() const override { return "broken"; }
  std::string description() const override { return "breaks the backend contract on purpose"; }
  Capabilities capabilities() const override { return Capabilities{}.with(DialOption::credentials); }
  Result<void> probe() const override { return {}; }
  Result<std::unique_ptr<Backend>> create(const BackendContext& context) override {
    return std::unique_ptr<Backend>(new BrokenBackend(context.scheduler));
  }
};

// The template backend behind a factory that misdeclares it, or a backend that misbehaves,
// one way per Lie: each must fail exactly the check that catches it.
enum class Lie {
  undeclared_pause,     // declares no pause; demo-login pauses in retry_authentication
  declared_watch,       // declares a watch it does not have
  declared_hangup_by_id,  // declares hang-up by id it does not have
  refused_option,       // declares phone_number, and the backend refuses it
  no_hangup_by_id,      // does not declare hang-up by id, yet hangs up by id
  leaky,                // puts the password into an error's text
};

class LyingBackend final : public Backend {
 public:
  LyingBackend(std::unique_ptr<Backend> inner, Lie lie) : inner_(std::move(inner)), lie_(lie) {}
  Result<std::vector<Entry>> entries() override { return inner_->entries(); }
  Result<std::unique_ptr<Session>> dial(const DialRequest& request, std::shared_ptr<Reporter> reporter) override {
    if (lie_ == Lie::refused_option && request.phone_number)
      return fail(make_error(Errc::not_supported, "no phone numbers here"));
    if (lie_ == Lie::leaky && request.credentials)
      return fail(make_error(Errc::authentication_failed,
                             "refused " + std::string(request.credentials->password.reveal())));
    return inner_->dial(request, std::move(reporter));
  }
  Result<std::vector<LiveConnection>> live_connections() override { return inner_->live_connections(); }
  Result<void> hangup_live(std::string_view) override {
    if (lie_ == Lie::no_hangup_by_id) return {};
    return inner_->hangup_live("");
  }
  void shutdown() override { inner_->shutdown(); }

 private:
  std::unique_ptr<Backend> inner_;
  Lie lie_;
};

class LyingFactory final : public BackendFactory {
 public:
  explicit LyingFactory(Lie lie) : lie_(lie) {}
  std::string name() const override { return "liar"; }
  std::string description() const override { return "the template backend, misdeclared"; }
  Capabilities capabilities() const override {
    Capabilities c = inner_.capabilities();
    switch (lie_) {
      case Lie::undeclared_pause: c.paused_states = 0; break;
      case Lie::declared_watch: c.with_watch(WatchKind::polling); break;
      case Lie::declared_hangup_by_id: c.with_hangup_by_id(); break;
      case Lie::refused_option: c.with(DialOption::phone_number); break;
      case Lie::no_hangup_by_id:
      case Lie::leaky: break;
    }
    return c;
  }
  Result<void> probe() const override { return inner_.probe(); }
  Result<std::unique_ptr<Backend>> create(const BackendContext& context) override {
    auto inner = inner_.create(context);
    if (!inner) return fail(inner.error());
    return std::unique_ptr<Backend>(new LyingBackend(std::move(*inner), lie_));
  }

 private:
  Lie lie_;
  mutable dialkit_template::TemplateFactory inner_;
};

// What the template's entries do (its README's phone book).
conformance::Options template_options() {
  conformance::Options options;
  options.fixture.connects = "demo";
  options.fixture.pauses = "demo-login";
  options.fixture.refuses_wrong_password = false;
  return options;
}

class UnavailableFactory final : public BackendFactory {
 public:
  std::string name() const override { return "absent"; }
  std::string description() const override { return "a platform that is not here"; }
  Capabilities capabilities() const override { return {}; }
  Result<void> probe() const override {
    return fail(make_error(Errc::backend_unavailable, "no such daemon"));
  }
  Result<std::unique_ptr<Backend>> create(const BackendContext&) override {
    return fail(make_error(Errc::backend_unavailable, "no such daemon"));
  }
};

}  // namespace

TEST_CASE("the template backend declares credentials and retry_authentication, and core refuses the rest",
          "[conformance][capabilities]") {
  auto factory = std::make_shared<dialkit_template::TemplateFactory>();
  CHECK(factory->capabilities() ==
        Capabilities{}.with(DialOption::credentials).with_pause(State::retry_authentication));
  RuntimeOptions o;
  o.load_plugins = false;
  o.scheduler = std::make_shared<VirtualScheduler>();
  o.delivery = RuntimeOptions::Delivery::inline_delivery;
  Runtime runtime(o);
  runtime.add_backend(factory);
  auto dialer = runtime.dialer("template");
  REQUIRE(dialer);
  DialOptions phone;
  phone.phone_number = "0800-123";
  auto refused = dialer->dial("demo", phone);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::not_supported);
  CHECK_THAT(refused.error().detail, Catch::Contains("phone_number") && Catch::Contains("the template backend"));
}

TEST_CASE("the template backend passes the conformance suite in virtual time", "[conformance]") {
  dialkit_template::TemplateFactory factory;
  const auto report = conformance::run(factory, template_options());
  INFO(report.summary());
  CHECK(report.passed());
  CHECK_FALSE(report.skipped());
  // Every entry dialled, and hung up in each state it reached (demo reaches 7, demo-busy 2,
  // demo-login 5 before its pause).
  CHECK(report.hangups >= 3 + 7 + 2 + 5);
}

TEST_CASE("the template backend passes the conformance suite in real time", "[conformance]") {
  dialkit_template::TemplateFactory factory;
  conformance::Options options = template_options();
  options.time = conformance::Options::Time::real_time;
  options.backend_options["step_ms"] = "2";
  const auto report = conformance::run(factory, options);
  INFO(report.summary());
  CHECK(report.passed());
  CHECK(report.hangups >= 3);
}

TEST_CASE("the template backend: a hang-up waits for the link's own last report still in progress",
          "[conformance]") {
  // demo-busy ends by itself (`down`); a hang-up that arrives while that report is on its way
  // to core must not return before it: core would take the report for a late one.
  auto scheduler = std::make_shared<RealTimeScheduler>();
  BackendContext context;
  context.scheduler = scheduler;
  context.options["step_ms"] = "1";
  dialkit_template::TemplateFactory factory;
  auto backend = factory.create(context);
  REQUIRE(backend);
  struct Gate final : Reporter {
    std::mutex m;
    std::condition_variable cv;
    bool in_last = false, release = false, done = false;
    void report(NativeReport r) override {
      if (r.state != State::disconnected) return;
      std::unique_lock lock(m);
      in_last = true;
      cv.notify_all();
      cv.wait_for(lock, 5s, [&] { return release; });
      done = true;
    }
  };
  auto gate = std::make_shared<Gate>();
  DialRequest request;
  request.entry = "demo-busy";
  auto session = (*backend)->dial(request, gate);
  REQUIRE(session);
  {
    std::unique_lock lock(gate->m);
    REQUIRE(gate->cv.wait_for(lock, 5s, [&] { return gate->in_last; }));
  }
  std::atomic<bool> returned{false};
  std::thread hanging_up([&] {
    (*session)->hangup();
    returned = true;
  });
  std::this_thread::sleep_for(200ms);
  const bool returned_early = returned.load();
  {
    std::lock_guard lock(gate->m);
    gate->release = true;
  }
  gate->cv.notify_all();
  hanging_up.join();
  CHECK_FALSE(returned_early);
  std::lock_guard lock(gate->m);
  CHECK(gate->done);
  session->reset();
  backend->reset();
  scheduler->stop();
}

#if defined(DIALKIT_TEST_HAVE_MOCK)
TEST_CASE("the mock backend passes the conformance suite in virtual time", "[conformance]") {
  auto factory = mock::make_factory();
  conformance::Options options;
  options.fixture.connects = "success";
  options.fixture.pauses = "wrong-password";
  options.fixture.right_password = "letmein";  // the scenario's (test data)
  options.fixture.option_entries["callback_number"] = "callback";
  // Its watch and hang-up by id of other processes' dials go through a registry directory.
  const auto registry = std::filesystem::temp_directory_path() /
                        ("dialkit-conformance-mock-" + std::to_string(::getpid()));
  options.backend_options["registry_dir"] = registry.string();
  const auto report = conformance::run(factory, options);
  std::filesystem::remove_all(registry);
  INFO(report.summary());
  CHECK(report.passed());
  // The shipped scenarios: at least ten entries, each hung up in several states.
  CHECK(report.dials > 40);
}
#endif

TEST_CASE("the conformance suite fails a backend that breaks the contract", "[conformance]") {
  BrokenFactory factory;
  const auto report = conformance::run(factory);
  INFO(report.summary());
  CHECK_FALSE(report.passed());
  const auto checks = failed_checks(report);
  CHECK(checks.count("native codes") == 1);       // no-native
  CHECK(checks.count("illegal transitions") == 1);  // illegal
  CHECK(checks.count("diagnostics") == 1);        // illegal, chatty: core reported them
  CHECK(checks.count("unknown entry") == 1);      // any entry connects
  bool chatty_named = false;
  for (const auto& f : report.failures)
    chatty_named = chatty_named || (f.entry == "chatty" && f.check == "diagnostics");
  CHECK(chatty_named);
}

TEST_CASE("the conformance suite fails a backend that breaks its capability declaration", "[conformance]") {
  struct Case {
    Lie lie;
    const char* check;
    const char* says;
  };
  for (const auto& c : {Case{Lie::undeclared_pause, "capabilities", "which the backend does not declare"},
                        Case{Lie::declared_watch, "capabilities", "declares a watch"},
                        Case{Lie::declared_hangup_by_id, "capabilities", "declares hang-up by id"},
                        Case{Lie::refused_option, "capabilities", "declared dial option phone_number was refused"},
                        Case{Lie::no_hangup_by_id, "capabilities", "does not declare hang-up by id"},
                        Case{Lie::leaky, "secrets", "appears in a status or error text"}}) {
    LyingFactory factory(c.lie);
    const auto report = conformance::run(factory, template_options());
    INFO(report.summary());
    CHECK_FALSE(report.passed());
    bool named = false;
    for (const auto& f : report.failures)
      named = named || (f.check == c.check && f.message.find(c.says) != std::string::npos);
    CHECK(named);
  }
  // The truthful declaration passes: the failures above are the lies'.
  const auto honest = conformance::run(std::make_shared<dialkit_template::TemplateFactory>(), template_options());
  INFO(honest.summary());
  CHECK(honest.passed());
}

TEST_CASE("the conformance suite skips a backend whose platform is absent", "[conformance]") {
  UnavailableFactory factory;
  const auto report = conformance::run(factory);
  CHECK(report.skipped());
  CHECK(report.passed());
  CHECK(report.dials == 0);
}

TEST_CASE("a plugin that does not load is one conformance failure", "[conformance]") {
  const auto report = conformance::run_plugin_file("/nonexistent/dialkit-backend-none.so");
  CHECK_FALSE(report.passed());
  REQUIRE(report.failures.size() == 1);
  CHECK(report.failures.front().check == "load");
}

namespace {

enum class Phase : int { dialing = 3, up = 9, lost = 12 };
constexpr std::array<plugin::NativeMapping<Phase>, 2> phases{{
    {Phase::dialing, "DIALING", State::connecting_device},
    {Phase::up, "UP", State::connected},
}};
constexpr std::array<plugin::NativeErrorMapping<int>, 1> errors{{{676, "LINE_BUSY", Errc::line_busy}}};

static_assert(plugin::has_unique_natives(phases));
static_assert(plugin::covers(phases, std::array{Phase::dialing, Phase::up}));
static_assert(!plugin::covers(phases, std::array{Phase::dialing, Phase::lost}));
static_assert(plugin::map_state(phases, Phase::up, State::opening_port).known);
static_assert(plugin::map_error(errors, 676) == Errc::line_busy);
static_assert(plugin::map_error(errors, 1) == Errc::unknown);
constexpr std::array<plugin::NativeMapping<int>, 2> twice{{{1, "A", State::opening_port},
                                                           {1, "B", State::port_opened}}};
static_assert(!plugin::has_unique_natives(twice));

}  // namespace

TEST_CASE("mapping helpers map known values and mark unknown ones", "[mapping]") {
  const auto known = plugin::native_report(phases, Phase::dialing, State::opening_port);
  CHECK(known.state == State::connecting_device);
  CHECK(known.native_code == 3);
  CHECK(known.native_name == "DIALING");

  const auto unknown = plugin::map_state(phases, Phase::lost, State::disconnecting);
  CHECK_FALSE(unknown.known);
  CHECK(unknown.state == State::disconnecting);
  CHECK(unknown.name == plugin::unknown_native_name);
  CHECK(plugin::native_report(phases, Phase::lost, State::disconnecting).native_code == 12);

  const auto busy = plugin::native_error(errors, 676, "line 3");
  CHECK(busy.code == Errc::line_busy);
  CHECK(busy.native_code == 676);
  CHECK(busy.native_text == "LINE_BUSY");
  CHECK(busy.detail == "line 3");
  const auto odd = plugin::native_error(errors, 5);
  CHECK(odd.code == Errc::unknown);
  CHECK(odd.native_code == 5);
  CHECK(odd.native_text == plugin::unknown_native_name);
}

TEST_CASE("mapping tables render as Markdown for the docs", "[mapping]") {
  CHECK(plugin::mapping_markdown(phases) ==
        "| native | name | shared state | group |\n|---|---|---|---|\n"
        "| 3 | DIALING | connecting_device | running |\n"
        "| 9 | UP | connected | terminal |\n");
  CHECK(plugin::error_markdown(errors) ==
        "| native | name | error |\n|---|---|---|\n| 676 | LINE_BUSY | line_busy |\n");
}
