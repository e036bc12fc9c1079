// Watching never changes what it watches (DESIGN.md section 3), end to end: one real `dialkit`
// process holds a mock dial, another watches it through the mock's registry, and stopping the
// watch (Ctrl-C) must leave the dial up: no hang-up request, no remote hang-up.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"

using dialkit::test::Child;
using dialkit::test::Environment;
using dialkit::test::Outcome;
using dialkit::test::TempDir;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string dialkit_binary = DIALKIT_CLI_BINARY;

std::string describe(const Outcome& o) {
  return "exit " + std::to_string(o.code) + (o.timed_out ? " (timed out)" : "") + "\n--- stdout ---\n" + o.out +
         "--- stderr ---\n" + o.err;
}

std::vector<json> json_lines(const std::string& out) {
  std::vector<json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(json::parse(line));
  return lines;
}

// The hang-up requests another process left in the registry for the dial's owner.
std::vector<std::string> hangup_requests(const std::filesystem::path& registry) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(registry))
    if (entry.path().extension() == ".hangup") out.push_back(entry.path().filename().string());
  return out;
}

}  // namespace

TEST_CASE("Ctrl-C on a watch leaves the dial it watched connected", "[cli][watch]") {
  TempDir registry;  // private to this test, so parallel runs never see each other's dials
  const Environment env{{"DIALKIT_MOCK_REGISTRY", registry.path().string()},
                        {"DIALKIT_PLUGIN_PATH", DIALKIT_TEST_PLUGIN_DIR}};
  Child dial(dialkit_binary, {"dial", "success", "--backend", "mock"}, env);
  REQUIRE(dial.wait_for_stdout(" connected "));

  Child watch(dialkit_binary, {"watch", "--backend", "mock", "--json"}, env);
  REQUIRE(watch.wait_for_stdout("\"connected\""));  // it has adopted the dial
  watch.send_signal(SIGINT);
  const auto watched = watch.finish(15s);
  INFO("watch: " << describe(watched));
  CHECK(watched.code == 0);

  // The watch's process is gone and asked nobody to hang up ...
  CHECK(hangup_requests(registry.path()).empty());
  // ... so the dial is still connected, as a third process sees it.
  const auto status = dialkit::test::run(dialkit_binary, {"status", "--backend", "mock", "--json"}, env);
  INFO("status: " << describe(status));
  REQUIRE(status.code == 0);
  const auto live = json_lines(status.out);
  REQUIRE(live.size() == 1);
  CHECK(live[0]["entry"] == "success");
  CHECK(live[0]["state"] == "connected");

  // The dial ends when its own process hangs it up, and only then.
  dial.send_signal(SIGINT);
  const auto dialled = dial.finish(15s);
  INFO("dial: " << describe(dialled));
  CHECK(dialled.code == 0);
  CHECK(dialled.out.find("another process") == std::string::npos);
  CHECK(dialled.err.find("another process") == std::string::npos);
  CHECK(dialled.err.find("hung up") != std::string::npos);
}
