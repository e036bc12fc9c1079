// JSON Lines traces and the --json event object, on nlohmann-json.
#include <dialkit/trace.hpp>

#include <fstream>
#include <limits>
#include <ostream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace dialkit {
namespace {

using nlohmann::json;

struct TooDeep {};

// Parses one line of a trace, refusing arrays and objects nested deeper than max_trace_depth
// before they are built (a line of a million '[' would otherwise cost seconds and a lot of
// memory). Throws json::parse_error on bad JSON, TooDeep past the limit.
json parse_line(std::string_view line) {
  return json::parse(line, [](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= max_trace_depth)
      throw TooDeep{};
    return true;
  });
}

std::string too_deep() {
  return "JSON nested deeper than " + std::to_string(max_trace_depth) +
         " levels (dialkit::max_trace_depth; an event needs 2)";
}

json error_to_json(const Error& e) {
  json j;
  j["code"] = std::string(e.name());
  j["class"] = std::string(error_class_name(e.error_class()));
  j["native_code"] = e.native_code ? json(*e.native_code) : json(nullptr);
  j["native_text"] = e.native_text;
  j["detail"] = e.detail;
  j["message"] = e.message();
  return j;
}

// Field readers that turn a wrong type into a message instead of an exception.
Result<const json*> field(const json& j, const char* name, json::value_t type, bool nullable) {
  auto it = j.find(name);
  if (it == j.end())
    return fail(make_error(Errc::malformed_input, std::string("missing field \"") + name + "\""));
  if (nullable && it->is_null()) return &*it;
  const bool ok = (type == json::value_t::number_integer)
                      ? it->is_number_integer()
                      : (type == json::value_t::number_float ? it->is_number() : it->type() == type);
  if (!ok)
    return fail(make_error(Errc::malformed_input,
                           std::string("field \"") + name + "\" has the wrong type (" +
                               it->type_name() + ")"));
  return &*it;
}

Result<State> state_field(const json& j, const char* name) {
  auto f = field(j, name, json::value_t::string, false);
  if (!f) return fail(f.error());
  const auto text = (*f)->get<std::string>();
  auto s = state_from_name(text);
  if (!s)
    return fail(make_error(Errc::malformed_input,
                           std::string("field \"") + name + "\": unknown state \"" + text + "\""));
  return *s;
}

Result<Error> error_from_json(const json& j) {
  if (!j.is_object()) return fail(make_error(Errc::malformed_input, "\"error\" is not an object"));
  auto code = field(j, "code", json::value_t::string, false);
  if (!code) return fail(code.error());
  auto errc = errc_from_name((*code)->get<std::string>());
  if (!errc)
    return fail(make_error(Errc::malformed_input,
                           "unknown error code \"" + (*code)->get<std::string>() + "\""));
  Error e;
  e.code = *errc;
  if (auto it = j.find("native_code"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer())
      return fail(make_error(Errc::malformed_input, "error.native_code is not an integer"));
    e.native_code = it->get<std::int64_t>();
  }
  if (auto it = j.find("native_text"); it != j.end() && it->is_string()) e.native_text = it->get<std::string>();
  if (auto it = j.find("detail"); it != j.end() && it->is_string()) e.detail = it->get<std::string>();
  return e;
}

}  // namespace

std::string event_to_json(const Event& e, Clock::time_point origin) {
  json j;
  j["connection"] = e.connection;
  if (!e.live_id.empty()) j["id"] = e.live_id;
  j["backend"] = e.backend;
  j["entry"] = e.entry;
  j["seq"] = e.seq;
  j["state"] = std::string(state_name(e.state));
  j["previous"] = e.previous ? json(std::string(state_name(*e.previous))) : json(nullptr);
  j["group"] = std::string(group_name(e.group()));
  j["display"] = std::string(display_text(e.state));
  j["native_code"] = e.native_code;
  j["native_name"] = e.native_name;
  j["error"] = e.error ? error_to_json(*e.error) : json(nullptr);
  j["reason"] = e.reason;
  j["subentry"] = e.subentry ? json(*e.subentry) : json(nullptr);
  j["attempt"] = e.attempt;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(e.time - origin).count();
  j["time"] = static_cast<double>(us) / 1000.0;
  if (e.replayed) j["replayed"] = true;
  return j.dump();
}

Result<TraceEvent> event_from_json(std::string_view line) {
  json j;
  try {
    j = parse_line(line);
  } catch (const TooDeep&) {
    return fail(make_error(Errc::malformed_input, too_deep()));
  } catch (const json::exception&) {
    return fail(make_error(Errc::malformed_input, "not a JSON object"));
  }
  if (!j.is_object()) return fail(make_error(Errc::malformed_input, "not a JSON object"));
  TraceEvent out;
  Event& e = out.event;
  auto conn = field(j, "connection", json::value_t::number_integer, false);
  if (!conn) return fail(conn.error());
  e.connection = (*conn)->get<ConnectionId>();
  if (auto it = j.find("id"); it != j.end() && it->is_string()) e.live_id = it->get<std::string>();
  auto backend = field(j, "backend", json::value_t::string, false);
  if (!backend) return fail(backend.error());
  e.backend = (*backend)->get<std::string>();
  auto entry = field(j, "entry", json::value_t::string, false);
  if (!entry) return fail(entry.error());
  e.entry = (*entry)->get<std::string>();
  auto seq = field(j, "seq", json::value_t::number_integer, false);
  if (!seq) return fail(seq.error());
  if ((*seq)->get<std::int64_t>() < 1)
    return fail(make_error(Errc::malformed_input, "field \"seq\" must be 1 or more"));
  e.seq = (*seq)->get<std::uint64_t>();
  auto state = state_field(j, "state");
  if (!state) return fail(state.error());
  e.state = *state;
  auto prev = field(j, "previous", json::value_t::string, true);
  if (!prev) return fail(prev.error());
  if (!(*prev)->is_null()) {
    auto p = state_field(j, "previous");
    if (!p) return fail(p.error());
    e.previous = *p;
  }
  auto native_code = field(j, "native_code", json::value_t::number_integer, false);
  if (!native_code) return fail(native_code.error());
  e.native_code = (*native_code)->get<std::int64_t>();
  auto native_name = field(j, "native_name", json::value_t::string, false);
  if (!native_name) return fail(native_name.error());
  e.native_name = (*native_name)->get<std::string>();
  auto err = field(j, "error", json::value_t::object, true);
  if (!err) return fail(err.error());
  if (!(*err)->is_null()) {
    auto parsed = error_from_json(**err);
    if (!parsed) return fail(parsed.error());
    e.error = *parsed;
  }
  if (auto it = j.find("reason"); it != j.end() && it->is_string()) e.reason = it->get<std::string>();
  if (auto it = j.find("subentry"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned())
      return fail(make_error(Errc::malformed_input, "field \"subentry\" is not a number"));
    if (it->get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max())
      return fail(make_error(Errc::malformed_input, "field \"subentry\" is out of range"));
    e.subentry = it->get<std::uint32_t>();
  }
  if (auto it = j.find("attempt"); it != j.end() && it->is_number_unsigned())
    e.attempt = it->get<std::uint32_t>();
  auto time = field(j, "time", json::value_t::number_float, false);
  if (!time) return fail(time.error());
  const double ms = (*time)->get<double>();
  if (!(ms >= 0.0 && ms < 1e12))
    return fail(make_error(Errc::malformed_input, "field \"time\" is out of range"));
  const auto us = static_cast<std::int64_t>(ms * 1000.0 + 0.5);
  e.time = Clock::time_point{} + std::chrono::microseconds(us);
  out.t_ms = us / 1000;
  return out;
}

Result<Trace> parse_trace(std::string_view text, std::string_view source_name) {
  const std::string source(source_name);
  if (text.size() > max_trace_bytes)
    return fail(make_error(Errc::malformed_input,
                           source + ": " + std::to_string(text.size()) + " bytes; a trace may hold at most " +
                               std::to_string(max_trace_bytes) + " bytes (dialkit::max_trace_bytes)"));
  Trace trace;
  bool header_seen = false;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  auto where = [&](std::size_t n) { return source + ":" + std::to_string(n) + ": "; };
  while (pos <= text.size()) {
    const auto nl = text.find('\n', pos);
    const auto end = nl == std::string_view::npos ? text.size() : nl;
    auto line = text.substr(pos, end - pos);
    ++line_no;
    pos = end + 1;
    if (line.size() > max_trace_line_bytes)
      return fail(make_error(Errc::malformed_input,
                             where(line_no) + "the line is " + std::to_string(line.size()) +
                                 " bytes; a trace line may hold at most " + std::to_string(max_trace_line_bytes) +
                                 " bytes (dialkit::max_trace_line_bytes)"));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      if (nl == std::string_view::npos) break;
      continue;
    }
    if (!header_seen) {
      json h;
      try {
        h = parse_line(line);
      } catch (const TooDeep&) {
        return fail(make_error(Errc::malformed_input, where(line_no) + too_deep()));
      } catch (const json::exception&) {
        h = json();  // refused below
      }
      if (!h.is_object() || !h.contains("dialkit_trace"))
        return fail(make_error(Errc::malformed_input,
                               where(line_no) + "not a dialkit trace (the first line must be {\"dialkit_trace\":1})"));
      // Compared as a 64-bit number: get<int>() would wrap 4294967297 to 1 and accept it.
      if (!h["dialkit_trace"].is_number_integer() || h["dialkit_trace"].get<std::int64_t>() != trace_format_version)
        return fail(make_error(Errc::malformed_input,
                               where(line_no) + "unsupported trace format version (this dialkit reads version " +
                                   std::to_string(trace_format_version) + ")"));
      header_seen = true;
      continue;
    }
    // The last line, without its newline, whose JSON ends early: the file was cut while that
    // event was written. What came before is kept; the trace says it is truncated.
    if (nl == std::string_view::npos) {
      try {
        (void)parse_line(line);
      } catch (const json::parse_error& e) {
        if (e.byte > line.size()) {
          trace.truncated = where(line_no) + "the last line is cut short (the file ends inside an event)";
          break;
        }
      } catch (const TooDeep&) {
        // refused below, like any other line
      }
    }
    auto ev = event_from_json(line);
    if (!ev) {
      Error e = ev.error();
      e.detail = where(line_no) + e.detail;
      return fail(e);
    }
    if (!trace.events.empty()) {
      const auto& first = trace.events.front().event;
      const auto& last = trace.events.back().event;
      if (ev->event.connection != first.connection)
        return fail(make_error(Errc::malformed_input,
                               where(line_no) + "a second connection (" + std::to_string(ev->event.connection) +
                                   "); a trace holds one connection"));
      if (ev->event.seq <= last.seq)
        return fail(make_error(Errc::malformed_input, where(line_no) + "sequence number " +
                                                          std::to_string(ev->event.seq) + " is not after " +
                                                          std::to_string(last.seq)));
      if (ev->event.time < last.time)
        return fail(make_error(Errc::malformed_input, where(line_no) + "time goes backwards"));
    } else {
      trace.backend = ev->event.backend;
      trace.entry = ev->event.entry;
    }
    trace.events.push_back(std::move(*ev));
    if (nl == std::string_view::npos) break;
  }
  if (!header_seen)
    return fail(make_error(Errc::malformed_input, source + ": empty trace"));
  if (trace.events.empty())
    return fail(make_error(Errc::malformed_input,
                           source + ": the trace has no events" +
                               (trace.truncated.empty() ? std::string() : " (" + trace.truncated + ")")));
  if (trace.truncated.empty() && trace.events.back().event.state != State::disconnected) {
    const auto& last = trace.events.back();
    trace.truncated = where(line_no) + "the trace ends with `" + std::string(state_name(last.event.state)) +
                      "` at +" + std::to_string(last.t_ms) + " ms, not with `disconnected`";
  }
  return trace;
}

Result<Trace> read_trace(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec && size > max_trace_bytes)
    return fail(make_error(Errc::malformed_input,
                           file.string() + ": " + std::to_string(size) + " bytes; a trace may hold at most " +
                               std::to_string(max_trace_bytes) + " bytes (dialkit::max_trace_bytes)"));
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return fail(make_error(Errc::malformed_input, "cannot open trace " + file.string()));
  // At most one byte past the limit, whatever the file grew to since: parse_trace refuses it.
  std::string text;
  char chunk[16384];
  while (text.size() <= max_trace_bytes && in.read(chunk, sizeof chunk).gcount() > 0)
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
  return parse_trace(text, file.string());
}

TraceRecorder::TraceRecorder(std::ostream& out) : out_(&out) {}

void TraceRecorder::operator()(const Event& event) {
  std::lock_guard lock(mutex_);
  if (origins_.empty()) *out_ << "{\"dialkit_trace\":" << trace_format_version << "}\n";
  auto [it, inserted] = origins_.try_emplace(event.connection, event.time);
  // A replayed copy repeats an event already recorded (a second subscription of this
  // recorder); it starts the trace only when the recorder joined late.
  if (event.replayed && !inserted) return;
  *out_ << event_to_json(event, it->second) << '\n';
  out_->flush();
}

}  // namespace dialkit
