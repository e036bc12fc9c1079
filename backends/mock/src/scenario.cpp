// The mock's scenario model: defaults, validation, the JSON file format, trace conversion and
// the builder. The file format is documented in backends/mock/README.md.
#include <dialkit/mock.hpp>

#include <algorithm>
#include <fstream>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "mapping.hpp"

namespace dialkit::mock {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;

RetryStep retry_step(State state) {
  return RetryStep{state, milliseconds{0}, default_native_code(state),
                   std::string(default_native_name(state))};
}

std::string step_label(std::size_t i) { return "steps[" + std::to_string(i) + "]"; }

// A step of `state` after `delay`, with the state's default native code and name.
Step default_step(State state, milliseconds delay = {}) {
  Step s;
  s.state = state;
  s.delay = delay;
  s.native_code = default_native_code(state);
  s.native_name = std::string(default_native_name(state));
  return s;
}

// Thrown inside the parser only; parse_scenario turns it into an Error.
struct ParseFailure {
  std::string path;
  std::string what;
};

[[noreturn]] void fail_at(const std::string& path, std::string what) {
  throw ParseFailure{path, std::move(what)};
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string join_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string where(const std::string& path) { return path.empty() ? "(top level)" : path; }

// Refuses `j` unless it is an object with only the `allowed` fields: unknown fields are errors,
// so that a typo ("delay" for "delay_ms") is not silently ignored.
void check_fields(const json& j, const std::string& path, std::initializer_list<std::string_view> allowed) {
  if (!j.is_object()) fail_at(where(path), std::string("must be an object, not ") + j.type_name());
  for (const auto& [key, value] : j.items()) {
    if (std::ranges::find(allowed, key) != allowed.end()) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    fail_at(join_path(path, key), "unknown field (allowed: " + list + ")");
  }
}

const json* find(const json& j, std::string_view key) {
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

// Field `key` of the object `j` at `path`, as `read` gives it; an error if it is missing.
template <class Read>
auto required_field(const json& j, const std::string& path, std::string_view key, Read read) {
  const json* v = find(j, key);
  if (!v) fail_at(where(path), "missing field " + in_quotes(key));
  return read(*v, join_path(path, key));
}

// Field `key` of the object `j` at `path`, as `read` gives it, into `out` if it is there.
template <class T, class Read>
void optional_field(const json& j, const std::string& path, std::string_view key, T& out, Read read) {
  if (const json* v = find(j, key)) out = read(*v, join_path(path, key));
}

std::string as_string(const json& v, const std::string& path) {
  if (!v.is_string()) fail_at(path, std::string("must be a string, not ") + v.type_name());
  return v.get<std::string>();
}

std::int64_t as_int(const json& v, const std::string& path) {
  if (!v.is_number_integer())
    fail_at(path, std::string("must be an integer, not ") + v.type_name());
  if (v.is_number_unsigned() &&
      v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    fail_at(path, "is too large");
  return v.get<std::int64_t>();
}

std::uint64_t as_uint(const json& v, const std::string& path) {
  if (!v.is_number_integer())
    fail_at(path, std::string("must be an integer, not ") + v.type_name());
  if (!v.is_number_unsigned())
    fail_at(path, "must not be negative (got " + v.dump() + ")");
  return v.get<std::uint64_t>();
}

std::uint32_t as_uint32(const json& v, const std::string& path) {
  const auto n = as_uint(v, path);
  if (n > std::numeric_limits<std::uint32_t>::max()) fail_at(path, "is too large");
  return static_cast<std::uint32_t>(n);
}

milliseconds as_delay(const json& v, const std::string& path) {
  // A negative number is its own mistake, worth a message that says so.
  if (v.is_number() && v.get<double>() < 0)
    fail_at(path, "delay must not be negative (got " + v.dump() + ")");
  const auto n = as_uint(v, path);
  if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()))
    fail_at(path, "delay is too large");
  return milliseconds{static_cast<std::int64_t>(n)};
}

double as_probability(const json& v, const std::string& path) {
  if (!v.is_number()) fail_at(path, std::string("must be a number, not ") + v.type_name());
  const double p = v.get<double>();
  if (!(p >= 0.0 && p <= 1.0)) fail_at(path, "probability must be between 0 and 1 (got " + v.dump() + ")");
  return p;
}

bool as_bool(const json& v, const std::string& path) {
  if (!v.is_boolean()) fail_at(path, std::string("must be true or false, not ") + v.type_name());
  return v.get<bool>();
}

State as_state(const json& v, const std::string& path) {
  const auto name = as_string(v, path);
  const auto state = state_from_name(name);
  if (!state) fail_at(path, "unknown state name " + in_quotes(name));
  return *state;
}

Errc as_errc(const json& v, const std::string& path) {
  const auto name = as_string(v, path);
  const auto code = errc_from_name(name);
  if (!code) fail_at(path, "unknown error code name " + in_quotes(name));
  return *code;
}

Error parse_error_spec(const json& j, const std::string& path) {
  check_fields(j, path, {"code", "native_code", "native_text", "detail"});
  Error e;
  e.code = required_field(j, path, "code", as_errc);
  optional_field(j, path, "native_code", e.native_code, as_int);
  optional_field(j, path, "native_text", e.native_text, as_string);
  optional_field(j, path, "detail", e.detail, as_string);
  return e;
}

RetryStep parse_retry(const json& j, const std::string& path) {
  check_fields(j, path, {"state", "delay_ms", "native_code", "native_name"});
  RetryStep r = retry_step(required_field(j, path, "state", as_state));
  optional_field(j, path, "delay_ms", r.delay, as_delay);
  optional_field(j, path, "native_code", r.native_code, as_int);
  optional_field(j, path, "native_name", r.native_name, as_string);
  return r;
}

PauseSpec parse_pause(const json& j, const std::string& path, State state) {
  check_fields(j, path, {"expected", "expected_user", "max_attempts", "retry", "error", "auto_resume"});
  PauseSpec p = default_pause(state);
  optional_field(j, path, "expected", p.expected, as_string);
  optional_field(j, path, "expected_user", p.expected_user, as_string);
  optional_field(j, path, "max_attempts", p.max_attempts, as_uint32);
  optional_field(j, path, "retry", p.retry, parse_retry);
  optional_field(j, path, "error", p.error, parse_error_spec);
  optional_field(j, path, "auto_resume", p.auto_resume, as_bool);
  return p;
}

Step parse_step(const json& j, const std::string& path) {
  check_fields(j, path, {"state", "delay_ms", "native_code", "native_name", "error", "reason",
                         "subentry", "pause"});
  Step s = default_step(required_field(j, path, "state", as_state));
  optional_field(j, path, "delay_ms", s.delay, as_delay);
  optional_field(j, path, "native_code", s.native_code, as_int);
  optional_field(j, path, "native_name", s.native_name, as_string);
  optional_field(j, path, "error", s.error, parse_error_spec);
  optional_field(j, path, "reason", s.reason, as_string);
  optional_field(j, path, "subentry", s.subentry, as_uint32);
  if (const json* v = find(j, "pause")) {
    if (!is_paused(s.state))
      fail_at(join_path(path, "pause"),
              "only paused states take a pause spec; " + std::string(state_name(s.state)) + " is " +
                  std::string(group_name(state_group(s.state))));
    s.pause = parse_pause(*v, join_path(path, "pause"), s.state);
  }
  return s;
}

std::vector<Step> parse_steps(const json& j, const std::string& path) {
  if (!j.is_array()) fail_at(path, std::string("must be an array, not ") + j.type_name());
  std::vector<Step> steps;
  for (std::size_t i = 0; i < j.size(); ++i) steps.push_back(parse_step(j[i], step_label(i)));
  return steps;
}

FaultSpec parse_faults(const json& j, const std::string& path) {
  check_fields(j, path, {"seed", "drop_probability", "drop_after_ms", "drop_error",
                         "fail_probability", "fail_error"});
  FaultSpec f = default_faults();
  f.seed = required_field(j, path, "seed", as_uint);
  optional_field(j, path, "drop_probability", f.drop_probability, as_probability);
  optional_field(j, path, "drop_after_ms", f.drop_after, as_delay);
  optional_field(j, path, "drop_error", f.drop_error, parse_error_spec);
  optional_field(j, path, "fail_probability", f.fail_probability, as_probability);
  optional_field(j, path, "fail_error", f.fail_error, parse_error_spec);
  return f;
}

Scenario parse_document(const json& root) {
  check_fields(root, "", {"version", "name", "description", "device", "phone_number", "faults", "steps"});
  const auto version = required_field(root, "", "version", as_int);
  if (version != scenario_format_version)
    fail_at("version", "unsupported format version " + std::to_string(version) + " (this mock reads " +
                           std::to_string(scenario_format_version) + ")");
  Scenario sc;
  sc.name = required_field(root, "", "name", as_string);
  optional_field(root, "", "description", sc.description, as_string);
  if (const json* v = find(root, "device")) {
    check_fields(*v, "device", {"name", "type"});
    sc.device_name = required_field(*v, "device", "name", as_string);
    sc.device_type = required_field(*v, "device", "type", as_string);
  }
  optional_field(root, "", "phone_number", sc.phone_number, as_string);
  optional_field(root, "", "faults", sc.faults, parse_faults);
  sc.steps = required_field(root, "", "steps", parse_steps);
  return sc;
}

json error_to_json(const Error& e) {
  json j{{"code", std::string(e.name())}};
  if (e.native_code) j["native_code"] = *e.native_code;
  if (!e.native_text.empty()) j["native_text"] = e.native_text;
  if (!e.detail.empty()) j["detail"] = e.detail;
  return j;
}

std::string too_large(const std::string& source, std::uintmax_t size) {
  return source + ": " + std::to_string(size) + " bytes; a scenario file may hold at most " +
         std::to_string(max_scenario_bytes) + " bytes (dialkit::mock::max_scenario_bytes)";
}

Error invalid(const Scenario& sc, const std::string& path, const std::string& what) {
  const std::string source = sc.source.empty() ? sc.name : sc.source;
  return make_error(Errc::malformed_input, source + ": " + path + ": " + what);
}

}  // namespace

PauseSpec default_pause(State paused) {
  PauseSpec p;
  p.retry = retry_step(State::authenticating);
  p.error = make_error(Errc::user_input_required);  // invoke_eap_ui: no RAS error of its own
  for (const auto& row : pause_rows)
    if (row.paused == paused) {
      p.retry = retry_step(row.retry);
      p.error = default_error(row.error);
    }
  return p;
}

FaultSpec default_faults() {
  FaultSpec f;
  f.drop_error = default_error(629);
  f.fail_error = default_error(651);
  return f;
}

Result<void> validate(const Scenario& sc) {
  if (sc.name.empty()) return fail(invalid(sc, "name", "must not be empty"));
  if (sc.steps.empty()) return fail(invalid(sc, "steps", "a scenario needs at least one step"));
  std::optional<State> terminal;  // the last terminal state seen
  for (std::size_t i = 0; i < sc.steps.size(); ++i) {
    const Step& s = sc.steps[i];
    const auto at = step_label(i);
    // Checked first: every lookup below reads the state table.
    if (!is_state(s.state)) return fail(invalid(sc, at + ".state", "not a state"));
    const auto name = std::string(state_name(s.state));
    if (s.delay.count() < 0)
      return fail(invalid(sc, at + ".delay_ms", "delay must not be negative (got " +
                                                    std::to_string(s.delay.count()) + ")"));
    if (terminal == State::disconnected)
      return fail(invalid(sc, at, "step " + name + " comes after the terminal `disconnected` of an earlier step; nothing may follow it"));
    if (terminal == State::connected && s.state != State::subentry_connected &&
        s.state != State::subentry_disconnected && s.state != State::disconnecting &&
        s.state != State::disconnected)
      return fail(invalid(sc, at, "after `connected` only subentry_connected, subentry_disconnected, disconnecting or disconnected may follow, not " + name));
    if (is_paused(s.state) && !s.pause)
      return fail(invalid(sc, at, "paused state " + name + " needs a \"pause\" spec (what input it accepts)"));
    if (!is_paused(s.state) && s.pause)
      return fail(invalid(sc, at + ".pause", "only paused states take a pause spec; " + name + " is not paused"));
    if (s.error && s.state != State::disconnected && s.state != State::disconnecting)
      return fail(invalid(sc, at + ".error", "only disconnected or disconnecting may carry an error, not " + name));
    if (s.pause) {
      if (s.pause->max_attempts < 1)
        return fail(invalid(sc, at + ".pause.max_attempts", "must be at least 1"));
      if (!is_state(s.pause->retry.state))
        return fail(invalid(sc, at + ".pause.retry.state", "not a state"));
      if (state_group(s.pause->retry.state) != StateGroup::running ||
          s.pause->retry.state == State::disconnecting)
        return fail(invalid(sc, at + ".pause.retry.state", "must be a running state other than disconnecting, not " +
                                                             std::string(state_name(s.pause->retry.state))));
      if (s.pause->retry.delay.count() < 0)
        return fail(invalid(sc, at + ".pause.retry.delay_ms", "delay must not be negative"));
      if (s.pause->expected_user && s.state != State::retry_authentication)
        return fail(invalid(sc, at + ".pause.expected_user", "only retry_authentication takes a user name"));
    }
    // Core refuses a dial whose first event is `connected` (DESIGN.md rule 2); say so here.
    if (s.state == State::connected && i == 0)
      return fail(invalid(sc, at, "`connected` needs a running state before it"));
    if (is_terminal(s.state)) terminal = s.state;
  }
  if (sc.faults) {
    const auto& f = *sc.faults;
    if (!(f.drop_probability >= 0.0 && f.drop_probability <= 1.0))
      return fail(invalid(sc, "faults.drop_probability", "probability must be between 0 and 1"));
    if (!(f.fail_probability >= 0.0 && f.fail_probability <= 1.0))
      return fail(invalid(sc, "faults.fail_probability", "probability must be between 0 and 1"));
    if (f.drop_after.count() < 0)
      return fail(invalid(sc, "faults.drop_after_ms", "delay must not be negative"));
  }
  return {};
}

Result<Scenario> parse_scenario(std::string_view text, std::string_view source_name) {
  const std::string source(source_name);
  if (text.size() > max_scenario_bytes) return fail(make_error(Errc::malformed_input, too_large(source, text.size())));
  struct TooDeep {};
  json root;
  try {
    // Nesting is refused as it is met, before a deep document is built (a file of a million
    // '[' took seconds and hundreds of MiB).
    root = json::parse(text.begin(), text.end(), [](int depth, json::parse_event_t event, json&) {
      if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
          depth >= max_scenario_depth)
        throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    return fail(make_error(Errc::malformed_input, source + ": JSON nested deeper than " +
                                                      std::to_string(max_scenario_depth) +
                                                      " levels (dialkit::mock::max_scenario_depth; the format needs 5)"));
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number no double holds (1e400): both bad text.
    return fail(make_error(Errc::malformed_input, source + ": not valid JSON: " + e.what()));
  }
  Scenario sc;
  try {
    sc = parse_document(root);
  } catch (const ParseFailure& f) {
    return fail(make_error(Errc::malformed_input, source + ": " + f.path + ": " + f.what));
  } catch (const json::exception& e) {
    // The checks above should leave nothing for nlohmann to reject; keep it an Error anyway.
    return fail(make_error(Errc::malformed_input, source + ": " + e.what()));
  }
  sc.source = source;
  if (auto ok = validate(sc); !ok) return fail(ok.error());
  return sc;
}

Result<Scenario> load_scenario_file(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec && size > max_scenario_bytes) return fail(make_error(Errc::malformed_input, too_large(file.string(), size)));
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(make_error(Errc::malformed_input, file.string() + ": cannot be read"));
  // At most one byte past the limit, whatever the file grew to since: parse_scenario refuses it.
  std::string text;
  char chunk[16384];
  while (text.size() <= max_scenario_bytes && in.read(chunk, sizeof chunk).gcount() > 0)
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
  return parse_scenario(text, file.string());
}

std::string scenario_to_json(const Scenario& sc) {
  json root{{"version", scenario_format_version},
            {"name", sc.name},
            {"description", sc.description},
            {"device", {{"name", sc.device_name}, {"type", sc.device_type}}}};
  if (!sc.phone_number.empty()) root["phone_number"] = sc.phone_number;
  if (sc.faults) {
    const auto& f = *sc.faults;
    root["faults"] = {{"seed", f.seed},
                      {"drop_probability", f.drop_probability},
                      {"drop_after_ms", f.drop_after.count()},
                      {"drop_error", error_to_json(f.drop_error)},
                      {"fail_probability", f.fail_probability},
                      {"fail_error", error_to_json(f.fail_error)}};
  }
  json steps = json::array();
  for (const auto& s : sc.steps) {
    json j{{"state", std::string(state_name(s.state))},
           {"delay_ms", s.delay.count()},
           {"native_code", s.native_code},
           {"native_name", s.native_name}};
    if (s.error) j["error"] = error_to_json(*s.error);
    if (!s.reason.empty()) j["reason"] = s.reason;
    if (s.subentry) j["subentry"] = *s.subentry;
    if (s.pause) {
      const auto& p = *s.pause;
      json pj{{"max_attempts", p.max_attempts},
              {"retry", {{"state", std::string(state_name(p.retry.state))},
                         {"delay_ms", p.retry.delay.count()},
                         {"native_code", p.retry.native_code},
                         {"native_name", p.retry.native_name}}},
              {"error", error_to_json(p.error)},
              {"auto_resume", p.auto_resume}};
      if (p.expected) pj["expected"] = *p.expected;
      if (p.expected_user) pj["expected_user"] = *p.expected_user;
      j["pause"] = std::move(pj);
    }
    steps.push_back(std::move(j));
  }
  root["steps"] = std::move(steps);
  return root.dump(2);
}

Result<Scenario> scenario_from_trace(const Trace& trace) {
  Scenario sc;
  sc.name = trace.entry.empty() ? "trace" : trace.entry;
  sc.description = "replay of a " + (trace.backend.empty() ? std::string("recorded") : trace.backend) +
                   " trace of " + sc.name;
  sc.source = "trace of " + sc.name;
  std::optional<std::int64_t> previous_t;
  std::uint64_t last_seq = 0;
  for (const auto& te : trace.events) {
    const Event& e = te.event;
    // A subscriber that asked for the current state first sees one event twice.
    if (e.seq != 0 && e.seq <= last_seq) continue;
    last_seq = e.seq;
    const milliseconds delay{previous_t ? std::max<std::int64_t>(0, te.t_ms - *previous_t) : 0};
    previous_t = te.t_ms;
    Step s{e.state, delay, e.native_code, e.native_name, e.error, e.reason, e.subentry, std::nullopt};
    if (is_paused(e.state)) {
      // The recording went on after someone resumed; the replay goes on by itself, at the same
      // time, and accepts any input if a caller resumes it earlier.
      s.pause = default_pause(e.state);
      s.pause->auto_resume = true;
    }
    sc.steps.push_back(std::move(s));
  }
  // A recording cut short (its recorder was killed, the file was cut) is replayed as far as it
  // goes and ends where the file ends: at the time of its last event, with `disconnected` saying
  // the trace is truncated and where. Nothing else is made up: no hang-up, no delay. Rule 2
  // lets `disconnected` follow any state but itself.
  if (!trace.truncated.empty() && !sc.steps.empty() && sc.steps.back().state != State::disconnected) {
    Step end = default_step(State::disconnected);
    end.error = make_error(Errc::malformed_input, "the trace is truncated: " + trace.truncated + "; its " +
                                                      std::to_string(sc.steps.size()) +
                                                      " events were replayed and the replay ends here");
    end.reason = "end of a truncated trace";
    sc.steps.push_back(std::move(end));
  }
  if (auto ok = validate(sc); !ok) return fail(ok.error());
  return sc;
}

ScenarioBuilder::ScenarioBuilder(std::string name) {
  scenario_.name = std::move(name);
  scenario_.source = "builder scenario " + scenario_.name;
}

ScenarioBuilder& ScenarioBuilder::description(std::string text) {
  scenario_.description = std::move(text);
  return *this;
}

ScenarioBuilder& ScenarioBuilder::device(std::string name, std::string type) {
  scenario_.device_name = std::move(name);
  scenario_.device_type = std::move(type);
  return *this;
}

ScenarioBuilder& ScenarioBuilder::phone_number(std::string number) {
  scenario_.phone_number = std::move(number);
  return *this;
}

ScenarioBuilder& ScenarioBuilder::step(State state, milliseconds delay) {
  return step(state, delay, default_native_code(state), std::string(default_native_name(state)));
}

ScenarioBuilder& ScenarioBuilder::step(State state, milliseconds delay, std::int64_t native_code,
                                       std::string native_name) {
  Step s = default_step(state, delay);
  s.native_code = native_code;
  s.native_name = std::move(native_name);
  if (is_state(state) && is_paused(state)) s.pause = default_pause(state);  // validate() refuses others
  return step(std::move(s));
}

ScenarioBuilder& ScenarioBuilder::step(Step s) {
  scenario_.steps.push_back(std::move(s));
  return *this;
}

ScenarioBuilder& ScenarioBuilder::subentry(State state, std::uint32_t number, milliseconds delay) {
  step(state, delay);
  scenario_.steps.back().subentry = number;
  return *this;
}

ScenarioBuilder& ScenarioBuilder::pause(State paused, PauseSpec spec, milliseconds delay) {
  Step s = default_step(paused, delay);
  s.pause = std::move(spec);
  return step(std::move(s));
}

ScenarioBuilder& ScenarioBuilder::pause_for_password(std::string expected, std::uint32_t max_attempts,
                                                     milliseconds delay) {
  auto spec = default_pause(State::retry_authentication);
  spec.expected = std::move(expected);
  spec.max_attempts = max_attempts;
  return pause(State::retry_authentication, std::move(spec), delay);
}

ScenarioBuilder& ScenarioBuilder::pause_for_new_password(std::optional<std::string> expected,
                                                         milliseconds delay) {
  auto spec = default_pause(State::password_expired);
  spec.expected = std::move(expected);
  return pause(State::password_expired, std::move(spec), delay);
}

ScenarioBuilder& ScenarioBuilder::pause_for_callback_number(std::optional<std::string> expected,
                                                            milliseconds delay) {
  auto spec = default_pause(State::callback_set_by_caller);
  spec.expected = std::move(expected);
  return pause(State::callback_set_by_caller, std::move(spec), delay);
}

ScenarioBuilder& ScenarioBuilder::error_step(Errc code, std::int64_t native_code,
                                             std::string native_text, milliseconds delay) {
  step(State::disconnected, delay);
  scenario_.steps.back().error = make_error(code, native_code, std::move(native_text));
  return *this;
}

ScenarioBuilder& ScenarioBuilder::faults(FaultSpec spec) {
  scenario_.faults = std::move(spec);
  return *this;
}

Result<Scenario> ScenarioBuilder::build() const {
  if (auto ok = validate(scenario_); !ok) return fail(ok.error());
  return scenario_;
}

}  // namespace dialkit::mock
