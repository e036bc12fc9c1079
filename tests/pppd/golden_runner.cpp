// The golden runner: see golden_runner.hpp.
#include "golden_runner.hpp"

#include <sstream>

#include <nlohmann/json.hpp>

#include "mapper.hpp"
#include "protocol.hpp"

namespace dialkit::pppd::test {

std::string run_golden(std::string_view input) {
  std::ostringstream out;
  std::istringstream in{std::string(input)};
  std::string line, output_tail;
  bool handle_paused = false;
  bool reading = false;  // inside @read ... @end
  std::string read_bytes;
  std::optional<Mapper> mapper;
  Parser parser;
  auto render = [&](const std::vector<NativeReport>& reports) {
    for (const auto& r : reports) {
      nlohmann::json j;
      j["state"] = std::string(state_name(r.state));
      j["native_code"] = r.native_code;
      j["native_name"] = r.native_name;
      j["reason"] = r.reason;
      if (r.error) {
        j["error"] = std::string(r.error->name());
        j["error_native"] = r.error->native_code ? nlohmann::json(*r.error->native_code) : nlohmann::json();
        j["error_native_text"] = r.error->native_text;
        j["detail"] = r.error->detail;
      } else {
        j["error"] = nullptr;
      }
      out << j.dump() << '\n';
    }
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.starts_with("@options ")) {
      handle_paused = line.find("handle_paused=1") != std::string::npos;
    } else if (line == "@spawn") {
      mapper.emplace(handle_paused);
      parser = Parser{};
      output_tail.clear();
      render(mapper->spawned());
    } else if (!mapper) {
      out << "# input error: " << line << " before @spawn\n";
    } else if (line == "@read") {
      reading = true;
      read_bytes.clear();
    } else if (reading && line.starts_with("> ")) {
      read_bytes += line.substr(2) + "\n";
    } else if (line.starts_with("> ") || line == "@end") {
      if (line == "@end" && !reading) {
        out << "# input error: @end without @read\n";
        continue;
      }
      reading = false;
      auto fed = parser.feed(line == "@end" ? read_bytes : line.substr(2) + "\n");
      // As the session does: the well-formed lines first, then the error.
      for (const auto& m : fed.messages) {
        if (std::holds_alternative<SecretRequestMsg>(m)) {
          out << (fed.error ? "# secret requested (not answered: the read ends in an error)\n"
                            : "# secret requested\n");
          continue;
        }
        render(mapper->on_message(m));
      }
      if (fed.error) {
        out << "# protocol error: " << fed.error->detail << '\n';
        mapper->protocol_failed(*fed.error);
      }
    } else if (line == "@hangup") {
      render(mapper->local_hangup());
    } else if (line.starts_with("@output ")) {
      output_tail += line.substr(8) + "\n";
    } else if (line.starts_with("@exited ") || line.starts_with("@signaled ")) {
      const bool exited = line[1] == 'e';
      const int code = std::stoi(line.substr(exited ? 8 : 10));
      render(mapper->process_ended(
          {exited ? ProcessEnd::How::exited : ProcessEnd::How::signaled, code}, output_tail));
      if (mapper->hangup_requested()) out << "# core reports disconnected (local hang-up)\n";
    } else {
      out << "# input error: " << line << '\n';
    }
  }
  return out.str();
}

}  // namespace dialkit::pppd::test
