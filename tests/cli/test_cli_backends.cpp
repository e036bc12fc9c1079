// status, hangup and watch look across every usable backend when none is named, saying which
// backend each line is from; a backend that cannot be used is skipped with a note, and is an
// error only when it was named. The backends here are stand-ins (platform_fixture.cpp: alpha
// and beta usable, gamma not), beside whatever this build has (the mock, pppd, ...).
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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

// cli/README.md's table, restated on purpose.
constexpr int exit_ok = 0;
constexpr int exit_usage = 2;
constexpr int exit_backend = 9;

std::string from_env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}
const std::string dialkit_binary = from_env_or("DIALKIT_TEST_CLI", DIALKIT_CLI_BINARY);

struct Fixture {
  TempDir registry;
  TempDir platforms;
  Environment env{{"DIALKIT_MOCK_REGISTRY", registry.path().string()},
                  {"DIALKIT_PLUGIN_PATH", DIALKIT_TEST_PLUGIN_DIR},
                  {"DIALKIT_CLI_PLATFORMS", platforms.path().string()}};

  Fixture() {
    std::ofstream(platforms.path() / "alpha.live") << "alpha-1 office\nalpha-2 shared\n";
    std::ofstream(platforms.path() / "beta.live") << "beta-7 shared\n";
  }

  // Runs dialkit with the stand-ins' directory searched first.
  Outcome run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--plugin-path", DIALKIT_CLI_PLATFORM_DIR});
    return dialkit::test::run(dialkit_binary, args, env);
  }

  [[nodiscard]] std::string file(const char* name) const {
    std::ifstream in(platforms.path() / name);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

std::string describe(const Outcome& o) {
  return "exit " + std::to_string(o.code) + (o.timed_out ? " (timed out)" : "") + "\n--- stdout ---\n" + o.out +
         "--- stderr ---\n" + o.err;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// The table row (or line) that holds `word`, else "".
std::string line_with(const std::string& text, const std::string& word) {
  for (const auto& line : lines_of(text))
    if (line.find(word) != std::string::npos) return line;
  return {};
}

}  // namespace

TEST_CASE("status looks across every usable backend, naming each line's, and notes the ones it skipped",
          "[cli][backends]") {
  Fixture f;
  const auto o = f.run({"status"});
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  const auto rows = lines_of(o.out);
  REQUIRE_FALSE(rows.empty());
  CHECK(rows[0].rfind("BACKEND  ", 0) == 0);
  CHECK(line_with(o.out, "alpha-1").rfind("alpha ", 0) == 0);
  CHECK(line_with(o.out, "alpha-2").rfind("alpha ", 0) == 0);
  CHECK(line_with(o.out, "beta-7").rfind("beta ", 0) == 0);
  // gamma cannot be used here: a note, not an error; the fake is not asked unless named.
  CHECK(o.err.find("skipped the backends that are not usable here (") != std::string::npos);
  CHECK(o.err.find("gamma: backend_unavailable") != std::string::npos);
  CHECK(o.out.find("gamma") == std::string::npos);
  CHECK(o.err.find("using the mock backend") == std::string::npos);

  const auto json_out = f.run({"status", "--json"});
  INFO(describe(json_out));
  CHECK(json_out.code == exit_ok);
  std::vector<std::string> seen;
  for (const auto& line : lines_of(json_out.out)) {
    const auto j = json::parse(line);
    seen.push_back(j["backend"].get<std::string>() + "/" + j["id"].get<std::string>());
  }
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<std::string>{"alpha/alpha-1", "alpha/alpha-2", "beta/beta-7"});

  // One entry on two backends: both lines.
  const auto shared = f.run({"status", "shared"});
  INFO(describe(shared));
  CHECK(shared.code == exit_ok);
  CHECK(line_with(shared.out, "beta-7").rfind("beta ", 0) == 0);
  CHECK(line_with(shared.out, "alpha-2").rfind("alpha ", 0) == 0);
  CHECK(shared.out.find("alpha-1") == std::string::npos);
}

TEST_CASE("a backend named with --backend is the only one asked, and that it cannot be used is an error",
          "[cli][backends]") {
  Fixture f;
  const auto beta = f.run({"status", "--backend", "beta"});
  INFO(describe(beta));
  CHECK(beta.code == exit_ok);
  CHECK(beta.out.find("beta-7") != std::string::npos);
  CHECK(beta.out.find("alpha") == std::string::npos);
  CHECK(beta.err.empty());

  for (const std::vector<std::string>& args : {std::vector<std::string>{"status", "--backend", "gamma"},
                                               {"hangup", "x", "--backend", "gamma"},
                                               {"watch", "--backend", "gamma"}}) {
    const auto o = f.run(args);
    INFO(args[0] << '\n' << describe(o));
    CHECK(o.code == exit_backend);
    CHECK(o.err.find("gamma is not installed here") != std::string::npos);
  }
}

TEST_CASE("hangup looks across every usable backend and says which one each hang-up was on", "[cli][backends]") {
  Fixture f;
  const auto o = f.run({"hangup", "shared"});
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  CHECK(o.out.find("hung up alpha-2 (shared) on alpha\n") != std::string::npos);
  CHECK(o.out.find("hung up beta-7 (shared) on beta\n") != std::string::npos);
  CHECK(f.file("alpha.hungup") == "alpha-2\n");
  CHECK(f.file("beta.hungup") == "beta-7\n");
  CHECK(f.file("alpha.live") == "alpha-1 office\n");

  const auto by_id = f.run({"hangup", "alpha-1"});
  INFO(describe(by_id));
  CHECK(by_id.code == exit_ok);
  CHECK(by_id.out == "hung up alpha-1 (office) on alpha\n");

  const auto none = f.run({"hangup", "nothing-live"});
  INFO(describe(none));
  CHECK(none.code == exit_usage);
  CHECK(none.err.find("alpha, beta") != std::string::npos);
}

TEST_CASE("watch follows every usable backend at once, naming each event's", "[cli][backends]") {
  Fixture f;
  Child watch(dialkit_binary, {"--plugin-path", DIALKIT_CLI_PLATFORM_DIR, "watch"}, f.env);
  REQUIRE(watch.wait_for_stderr("; Ctrl-C stops"));
  const std::string watching = line_with(watch.err(), "dialkit: watching ");
  CHECK(watching.find("alpha") != std::string::npos);
  CHECK(watching.find("beta") != std::string::npos);
  CHECK(watching.find("gamma") == std::string::npos);
  REQUIRE(watch.wait_for_stdout("beta-7 beta:shared "));
  REQUIRE(watch.wait_for_stdout("alpha-2 alpha:shared "));
  REQUIRE(watch.wait_for_stdout("alpha-1 alpha:office "));
  watch.send_signal(SIGINT);
  const auto o = watch.finish(15s);
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  CHECK(o.err.find("gamma: backend_unavailable") != std::string::npos);
}
