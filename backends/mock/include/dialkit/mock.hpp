/// @file
/// The mock backend ("mock"): dials scripted scenarios instead of a real line. The same code is
/// the `dialkit-backend-mock` plugin and the static library dialkit::mock, which a program's own
/// tests add in-process:
///
///     auto factory = dialkit::mock::make_factory();
///     factory->add_scenario(*dialkit::mock::ScenarioBuilder("flaky")
///                                .step(dialkit::State::opening_port, 10ms)
///                                .error_step(dialkit::Errc::line_busy, 676, "ERROR_LINE_BUSY")
///                                .build());
///     runtime.add_backend(factory);
///
/// Scenarios come from code (add_scenario), JSON files (parse_scenario; see
/// backends/mock/README.md for the schema) or recorded traces ("trace:PATH" entries). All time
/// goes through the runtime's Scheduler, so a VirtualScheduler runs a scenario without sleeping.
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
#include <dialkit/factory.hpp>
#include <dialkit/state.hpp>
#include <dialkit/trace.hpp>

/// The mock backend: scripted scenarios (make_factory(), MockFactory) and their parts.
namespace dialkit::mock {

/// The version of the scenario file format that parse_scenario() reads ("version" in the file).
inline constexpr int scenario_format_version = 1;
/// The mock's backend name (`dialkit --backend mock`, RuntimeOptions::backend_options key).
inline constexpr std::string_view backend_name = "mock";
/// The mock's line for people (`dialkit backends`, the plugin's record).
inline constexpr std::string_view backend_description =
    "scripted dials from scenario files and recorded traces (for tests and demos)";

/// The largest scenario text parse_scenario() and load_scenario_file() accept: 1 MiB (the
/// shipped ones are 1-3 KiB), so that a broken or hostile file costs little time and memory.
/// Beyond it: Errc::malformed_input naming the file and the limit, before the JSON is built.
inline constexpr std::size_t max_scenario_bytes = std::size_t{1} << 20;
/// The deepest nesting of JSON arrays and objects a scenario may have: 16 (the format needs 5).
/// Beyond it: Errc::malformed_input naming the file and the limit, before the JSON is built.
inline constexpr int max_scenario_depth = 16;

/// The RAS-like native code a step reports when its scenario gives none (the RASCONNSTATE value;
/// `disconnecting` has none in RAS); 0 for a value that is no State.
[[nodiscard]] std::int64_t default_native_code(State state) noexcept;
/// The RAS-like native name a step reports when its scenario gives none (the RASCS_ name);
/// empty for a value that is no State.
[[nodiscard]] std::string_view default_native_name(State state) noexcept;

/// A plain running step reported when a paused state gets the wrong input, before the same
/// pause comes again.
struct RetryStep {
  State state = State::authenticating;  ///<the running state reported
  std::chrono::milliseconds delay{0};  ///<time from the wrong input to this step
  std::int64_t native_code = 0;  ///<the native code reported with it
  std::string native_name;  ///<the native name reported with it
};

/// What a paused step accepts and what happens on right and wrong input.
struct PauseSpec {
  /// The value that ends the pause: the password (retry_authentication), the new password
  /// (password_expired), the callback number (callback_set_by_caller), the EAP data
  /// (invoke_eap_ui). Empty: any non-empty value is right. Test data, not a real secret.
  std::optional<std::string> expected;
  /// retry_authentication only: the user name that must come with the password, if any.
  std::optional<std::string> expected_user;
  /// Wrong inputs accepted before the dial fails with `error`.
  std::uint32_t max_attempts = 3;
  /// The step reported after each wrong input, before the pause comes again.
  RetryStep retry;
  /// The error of the final `disconnected` when the attempts are used up, and when the caller
  /// does not handle paused states (like RAS without RDEOPT_PausedStates).
  Error error;
  /// Continues by itself after the next step's delay (replayed traces); resume() still works.
  bool auto_resume = false;
};

/// The default PauseSpec of a paused state (retry step, error, native codes).
[[nodiscard]] PauseSpec default_pause(State paused);

/// One step of a scenario: a state reported after a delay, with its native value.
struct Step {
  State state = State::opening_port;  ///<the shared state reported
  /// Time since the previous step (or since dial() / resume() for the first step after them).
  std::chrono::milliseconds delay{0};
  std::int64_t native_code = 0;  ///<the native code reported with it
  std::string native_name;  ///<the native name reported with it
  std::optional<Error> error;  ///<the error, on a `disconnecting` or `disconnected` step
  std::string reason;  ///<why the step happens (NativeReport::reason)
  std::optional<std::uint32_t> subentry;  ///<the link a subentry_* step is about
  /// Set exactly on steps whose state is paused.
  std::optional<PauseSpec> pause;
};

/// A seeded random fault: deterministic for a given seed (the same draws on every dial).
struct FaultSpec {
  std::uint64_t seed = 0;  ///<the seed of the draws
  /// Probability that the link drops `drop_after` after `connected`: disconnected/peer_hung_up.
  double drop_probability = 0.0;
  std::chrono::milliseconds drop_after{1000};  ///<time from `connected` to the drop
  Error drop_error;  ///<the error of the `disconnected` a drop ends with
  /// Probability that the dial fails at one step picked at random before the terminal one:
  /// that step becomes `disconnected` with `fail_error`.
  double fail_probability = 0.0;
  Error fail_error;  ///<the error of a failed step's `disconnected`
};

/// The FaultSpec a scenario's "faults" object starts from: its default errors and drop delay.
[[nodiscard]] FaultSpec default_faults();

/// A scripted dial: what the mock reports, step by step, when its entry is dialled.
struct Scenario {
  std::string name;  ///<the entry name users dial
  std::string description;  ///<one line for `dialkit entries`
  std::string device_name = "Mock Modem";  ///<the device the entry reports
  std::string device_type = "modem";  ///<the device's type
  std::string phone_number;  ///<the number the entry reports
  std::vector<Step> steps;  ///<the steps, in order
  std::optional<FaultSpec> faults;  ///<seeded random faults, if any
  /// Where it came from (a file path, "builder", "trace:PATH"), for messages.
  std::string source;
};

/// Checks the rules a scenario must keep (known states, one pause spec per paused step, nothing
/// after `disconnected`, only subentry_*/disconnecting/disconnected after `connected`, errors
/// only on disconnecting/disconnected, probabilities in [0, 1]). Errc::malformed_input naming
/// the source and the step.
[[nodiscard]] Result<void> validate(const Scenario& scenario);

/// Parses and validates a scenario file's text. Errors are Errc::malformed_input with a detail
/// like "busy.json: steps[2].state: unknown state name \"conected\"".
[[nodiscard]] Result<Scenario> parse_scenario(std::string_view json, std::string_view source_name);
/// Reads a scenario file (at most max_scenario_bytes) and parses it with parse_scenario().
[[nodiscard]] Result<Scenario> load_scenario_file(const std::filesystem::path& file);
/// The scenario as JSON text that parse_scenario reads back to an equal scenario.
[[nodiscard]] std::string scenario_to_json(const Scenario& scenario);

/// A recorded trace as a scenario: the same states, native codes and names, errors, reasons,
/// subentries and relative timing; paused states continue by themselves after the recorded
/// time (auto_resume). Events repeated by a late subscriber (same seq) are dropped. A truncated
/// trace (Trace::truncated) is replayed as far as it goes and then ends at the time of its last
/// event with `disconnected` carrying Errc::malformed_input, "the trace is truncated: " and where
/// (unless its last event is `disconnected` already).
[[nodiscard]] Result<Scenario> scenario_from_trace(const Trace& trace);

/// Builds a scenario in code; build() validates it. Each setter returns the builder.
class ScenarioBuilder {
 public:
  /// Starts a scenario whose entry is called `name`.
  explicit ScenarioBuilder(std::string name);
  /// Sets Scenario::description.
  ScenarioBuilder& description(std::string text);
  /// Sets Scenario::device_name and Scenario::device_type.
  ScenarioBuilder& device(std::string name, std::string type);
  /// Sets Scenario::phone_number.
  ScenarioBuilder& phone_number(std::string number);
  /// A step with the state's default native code and name.
  ScenarioBuilder& step(State state, std::chrono::milliseconds delay = {});
  /// A step with the given native code and name.
  ScenarioBuilder& step(State state, std::chrono::milliseconds delay, std::int64_t native_code,
                        std::string native_name);
  /// A step as it is.
  ScenarioBuilder& step(Step step);
  /// A subentry_* step about link `subentry` of a multilink bundle.
  ScenarioBuilder& subentry(State state, std::uint32_t subentry,
                            std::chrono::milliseconds delay = {});
  /// A retry_authentication pause (default_pause() behaviour) that the password `expected`
  /// ends, with `max_attempts` wrong ones allowed.
  ScenarioBuilder& pause_for_password(std::string expected, std::uint32_t max_attempts = 3,
                                      std::chrono::milliseconds delay = {});
  /// A password_expired pause (default_pause() behaviour) that the new password `expected` ends
  /// (any, if empty).
  ScenarioBuilder& pause_for_new_password(std::optional<std::string> expected = {},
                                          std::chrono::milliseconds delay = {});
  /// A callback_set_by_caller pause (default_pause() behaviour) that the number `expected` ends
  /// (any, if empty).
  ScenarioBuilder& pause_for_callback_number(std::optional<std::string> expected = {},
                                             std::chrono::milliseconds delay = {});
  /// A paused step with its PauseSpec as given.
  ScenarioBuilder& pause(State paused, PauseSpec spec, std::chrono::milliseconds delay = {});
  /// A `disconnected` step with the error.
  ScenarioBuilder& error_step(Errc code, std::int64_t native_code, std::string native_text,
                              std::chrono::milliseconds delay = {});
  /// Sets Scenario::faults.
  ScenarioBuilder& faults(FaultSpec spec);
  /// The scenario, checked with validate().
  [[nodiscard]] Result<Scenario> build() const;

 private:
  Scenario scenario_;
};

/// The scenario directories searched, in order: option "scenario_dirs", then
/// DIALKIT_MOCK_SCENARIOS (both search paths: dialkit::split_search_path() and
/// environment_search_path() of <dialkit/search_path.hpp>), then the shipped library.
[[nodiscard]] std::vector<std::filesystem::path> scenario_search_dirs(
    const std::map<std::string, std::string>& options);
/// The shipped library's directory: `scenarios` in the data directory of the libdialkit-core in
/// use (dialkit_dirs(): the installed copy, or the source tree's for a build tree's core).
[[nodiscard]] std::vector<std::filesystem::path> shipped_scenario_dirs();

class ScenarioStore;

/// The mock's factory. Scenarios added here win over files of the same name and are seen by
/// every backend it created, also after creation. Thread-safe. Its name, description and
/// capabilities (every dial option and pause a scenario can script, a polling watch of the
/// registry, hang-up by id) are the kit's FactoryInfo (<dialkit/factory.hpp>); it is fake: used
/// only when asked for by name.
class MockFactory : public plugin::Factory {
 public:
  /// A factory with no scenario of its own (the files are still found).
  MockFactory();
  ~MockFactory() override;
  MockFactory(const MockFactory&) = delete;
  MockFactory& operator=(const MockFactory&) = delete;

  /// Makes the backend (a dial of a scenario that cannot honour a phone or callback number is
  /// refused by the scenario itself).
  Result<std::unique_ptr<Backend>> create(const BackendContext& context) override;

  /// Validates and adds (or replaces) a scenario by its name.
  Result<void> add_scenario(Scenario scenario);

 private:
  std::shared_ptr<ScenarioStore> store_;
};

/// A new MockFactory, to add to a Runtime (runtime.add_backend(make_factory())).
[[nodiscard]] std::shared_ptr<MockFactory> make_factory();

}  // namespace dialkit::mock
