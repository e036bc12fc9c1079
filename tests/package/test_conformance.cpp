// The backend conformance suite (plugins/conformance) in the tree: the mock and the template
// backend pass it in-process, and a backend that breaks the contract in known ways fails it
// with exactly those failures (so a green run means something). Also the plugin kit's
// mapping helpers (plugins/include/dialkit/mapping.hpp).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <dialkit/conformance.hpp>
#include <dialkit/mapping.hpp>

#include "template_backend.hpp"

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
  Result<void> probe() const override { return {}; }
  Result<std::unique_ptr<Backend>> create(const BackendContext& context) override {
    return std::unique_ptr<Backend>(new BrokenBackend(context.scheduler));
  }
};

class UnavailableFactory final : public BackendFactory {
 public:
  std::string name() const override { return "absent"; }
  std::string description() const override { return "a platform that is not here"; }
  Result<void> probe() const override {
    return fail(make_error(Errc::backend_unavailable, "no such daemon"));
  }
  Result<std::unique_ptr<Backend>> create(const BackendContext&) override {
    return fail(make_error(Errc::backend_unavailable, "no such daemon"));
  }
};

}  // namespace

TEST_CASE("the template backend passes the conformance suite in virtual time", "[conformance]") {
  dialkit_template::TemplateFactory factory;
  const auto report = conformance::run(factory);
  INFO(report.summary());
  CHECK(report.passed());
  CHECK_FALSE(report.skipped());
  // Every entry dialled, and hung up in each state it reached (demo reaches 7, demo-busy 2,
  // demo-login 5 before its pause).
  CHECK(report.hangups >= 3 + 7 + 2 + 5);
}

TEST_CASE("the template backend passes the conformance suite in real time", "[conformance]") {
  dialkit_template::TemplateFactory factory;
  conformance::Options options;
  options.time = conformance::Options::Time::real_time;
  options.backend_options["step_ms"] = "2";
  const auto report = conformance::run(factory, options);
  INFO(report.summary());
  CHECK(report.passed());
  CHECK(report.hangups >= 3);
}

#if defined(DIALKIT_TEST_HAVE_MOCK)
TEST_CASE("the mock backend passes the conformance suite in virtual time", "[conformance]") {
  auto factory = mock::make_factory();
  const auto report = conformance::run(factory);
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
