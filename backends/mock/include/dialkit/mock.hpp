// The mock backend ("mock"): dials scripted scenarios instead of a real line. The same code is
// the `dialkit-backend-mock` plugin and the static library dialkit::mock, which a program's own
// tests add in-process:
//
//   auto factory = dialkit::mock::make_factory();
//   factory->add_scenario(*dialkit::mock::ScenarioBuilder("flaky")
//                              .step(dialkit::State::opening_port, 10ms)
//                              .error_step(dialkit::Errc::line_busy, 676, "ERROR_LINE_BUSY")
//                              .build());
//   runtime.add_backend(factory);
//
// Scenarios come from code (add_scenario), JSON files (parse_scenario; see
// backends/mock/README.md for the schema) or recorded traces ("trace:PATH" entries). All time
// goes through the runtime's Scheduler, so a VirtualScheduler runs a scenario without sleeping.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <dialkit/backend.hpp>
#include <dialkit/error.hpp>
#include <dialkit/state.hpp>
#include <dialkit/trace.hpp>

namespace dialkit::mock {

inline constexpr int scenario_format_version = 1;
inline constexpr std::string_view backend_name = "mock";

// Limits on scenario text (parse_scenario) and files (load_scenario_file), so that a broken or
// hostile file costs little time and memory: 1 MiB (the shipped ones are 1-3 KiB) and 16 levels
// of JSON arrays and objects (the format needs 5). Beyond them: Errc::malformed_input naming the
// file and the limit, before the JSON is built.
inline constexpr std::size_t max_scenario_bytes = std::size_t{1} << 20;
inline constexpr int max_scenario_depth = 16;

// The RAS-like native code and name a step reports when its scenario gives none
// (RASCONNSTATE value and RASCS_ name; `disconnecting` has none in RAS).
[[nodiscard]] std::int64_t default_native_code(State state) noexcept;
[[nodiscard]] std::string_view default_native_name(State state) noexcept;

// A plain running step reported when a paused state gets the wrong input, before the same
// pause comes again.
struct RetryStep {
  State state = State::authenticating;
  std::chrono::milliseconds delay{0};
  std::int64_t native_code = 0;
  std::string native_name;
};

// What a paused step accepts and what happens on right and wrong input.
struct PauseSpec {
  // The value that ends the pause: the password (retry_authentication), the new password
  // (password_expired), the callback number (callback_set_by_caller), the EAP data
  // (invoke_eap_ui). Empty: any non-empty value is right. Test data, not a real secret.
  std::optional<std::string> expected;
  // retry_authentication only: the user name that must come with the password, if any.
  std::optional<std::string> expected_user;
  // Wrong inputs accepted before the dial fails with `error`.
  std::uint32_t max_attempts = 3;
  RetryStep retry;
  // The error of the final `disconnected` when the attempts are used up, and when the caller
  // does not handle paused states (like RAS without RDEOPT_PausedStates).
  Error error;
  // Continues by itself after the next step's delay (replayed traces); resume() still works.
  bool auto_resume = false;
};

// The default PauseSpec of a paused state (retry step, error, native codes).
[[nodiscard]] PauseSpec default_pause(State paused);

struct Step {
  State state = State::opening_port;
  // Time since the previous step (or since dial() / resume() for the first step after them).
  std::chrono::milliseconds delay{0};
  std::int64_t native_code = 0;
  std::string native_name;
  std::optional<Error> error;
  std::string reason;
  std::optional<std::uint32_t> subentry;
  // Set exactly on steps whose state is paused.
  std::optional<PauseSpec> pause;
};

// A seeded random fault: deterministic for a given seed (the same draws on every dial).
struct FaultSpec {
  std::uint64_t seed = 0;
  // Probability that the link drops `drop_after` after `connected`: disconnected/peer_hung_up.
  double drop_probability = 0.0;
  std::chrono::milliseconds drop_after{1000};
  Error drop_error;
  // Probability that the dial fails at one step picked at random before the terminal one:
  // that step becomes `disconnected` with `fail_error`.
  double fail_probability = 0.0;
  Error fail_error;
};

[[nodiscard]] FaultSpec default_faults();

struct Scenario {
  std::string name;
  std::string description;
  std::string device_name = "Mock Modem";
  std::string device_type = "modem";
  std::string phone_number;
  std::vector<Step> steps;
  std::optional<FaultSpec> faults;
  // Where it came from (a file path, "builder", "trace:PATH"), for messages.
  std::string source;
};

// Checks the rules a scenario must keep (known states, one pause spec per paused step, nothing
// after `disconnected`, only subentry_*/disconnecting/disconnected after `connected`, errors
// only on disconnecting/disconnected, probabilities in [0, 1]). Errc::malformed_input naming
// the source and the step.
[[nodiscard]] Result<void> validate(const Scenario& scenario);

// Parses and validates a scenario file's text. Errors are Errc::malformed_input with a detail
// like "busy.json: steps[2].state: unknown state name \"conected\"".
[[nodiscard]] Result<Scenario> parse_scenario(std::string_view json, std::string_view source_name);
[[nodiscard]] Result<Scenario> load_scenario_file(const std::filesystem::path& file);
// The scenario as JSON text that parse_scenario reads back to an equal scenario.
[[nodiscard]] std::string scenario_to_json(const Scenario& scenario);

// A recorded trace as a scenario: the same states, native codes and names, errors, reasons,
// subentries and relative timing; paused states continue by themselves after the recorded
// time (auto_resume). Events repeated by a late subscriber (same seq) are dropped. A truncated
// trace (Trace::truncated) is replayed as far as it goes and then ends at the time of its last
// event with `disconnected` carrying Errc::malformed_input, "the trace is truncated: " and where
// (unless its last event is `disconnected` already).
[[nodiscard]] Result<Scenario> scenario_from_trace(const Trace& trace);

// Builds a scenario in code; build() validates it.
class ScenarioBuilder {
 public:
  explicit ScenarioBuilder(std::string name);
  ScenarioBuilder& description(std::string text);
  ScenarioBuilder& device(std::string name, std::string type);
  ScenarioBuilder& phone_number(std::string number);
  // A step with the state's default native code and name.
  ScenarioBuilder& step(State state, std::chrono::milliseconds delay = {});
  ScenarioBuilder& step(State state, std::chrono::milliseconds delay, std::int64_t native_code,
                        std::string native_name);
  ScenarioBuilder& step(Step step);
  ScenarioBuilder& subentry(State state, std::uint32_t subentry,
                            std::chrono::milliseconds delay = {});
  // Paused steps with default_pause() behaviour and the given expected value.
  ScenarioBuilder& pause_for_password(std::string expected, std::uint32_t max_attempts = 3,
                                      std::chrono::milliseconds delay = {});
  ScenarioBuilder& pause_for_new_password(std::optional<std::string> expected = {},
                                          std::chrono::milliseconds delay = {});
  ScenarioBuilder& pause_for_callback_number(std::optional<std::string> expected = {},
                                             std::chrono::milliseconds delay = {});
  ScenarioBuilder& pause(State paused, PauseSpec spec, std::chrono::milliseconds delay = {});
  // A `disconnected` step with the error.
  ScenarioBuilder& error_step(Errc code, std::int64_t native_code, std::string native_text,
                              std::chrono::milliseconds delay = {});
  ScenarioBuilder& faults(FaultSpec spec);
  [[nodiscard]] Result<Scenario> build() const;

 private:
  Scenario scenario_;
};

// The scenario directories searched, in order: option "scenario_dirs" (':'-separated), then
// DIALKIT_MOCK_SCENARIOS, then the shipped library.
[[nodiscard]] std::vector<std::filesystem::path> scenario_search_dirs(
    const std::map<std::string, std::string>& options);
// The shipped library's directory: `scenarios` in the data directory of the libdialkit-core in
// use (dialkit_dirs(): the installed copy, or the source tree's for a build tree's core).
[[nodiscard]] std::vector<std::filesystem::path> shipped_scenario_dirs();

class ScenarioStore;

// The mock's factory. Scenarios added here win over files of the same name and are seen by
// every backend it created, also after creation. Thread-safe.
class MockFactory : public BackendFactory {
 public:
  MockFactory();
  ~MockFactory() override;
  MockFactory(const MockFactory&) = delete;
  MockFactory& operator=(const MockFactory&) = delete;

  [[nodiscard]] std::string name() const override;
  [[nodiscard]] std::string description() const override;
  [[nodiscard]] bool is_fake() const override { return true; }
  // Every dial option and every pause a scenario can script, a polling watch of the registry,
  // hang-up by id. A scenario that cannot honour a phone or callback number refuses it itself.
  [[nodiscard]] Capabilities capabilities() const override;
  [[nodiscard]] Result<void> probe() const override;
  Result<std::unique_ptr<Backend>> create(const BackendContext& context) override;

  // Validates and adds (or replaces) a scenario by its name.
  Result<void> add_scenario(Scenario scenario);

 private:
  std::shared_ptr<ScenarioStore> store_;
};

[[nodiscard]] std::shared_ptr<MockFactory> make_factory();

}  // namespace dialkit::mock
