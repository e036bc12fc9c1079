// The CLI on inputs it cannot honour or that are broken: dial options the backend cannot
// honour are refused before anything is dialled, and a truncated trace is refused at once,
// saying so, instead of replaying an end nobody recorded.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "process.hpp"

using dialkit::test::Environment;
using dialkit::test::Outcome;
using dialkit::test::TempDir;
using namespace std::chrono_literals;

namespace {

// cli/README.md's table, restated on purpose.
constexpr int exit_usage = 2;
constexpr int exit_backend = 9;

struct Fixture {
  TempDir registry;
  Environment env{{"DIALKIT_MOCK_REGISTRY", registry.path().string()},
                  {"DIALKIT_PLUGIN_PATH", DIALKIT_TEST_PLUGIN_DIR}};

  Outcome run(const std::vector<std::string>& args, std::chrono::milliseconds limit = 30s) const {
    return dialkit::test::run(DIALKIT_CLI_BINARY, args, env, {}, limit);
  }
};

std::string describe(const Outcome& o) {
  return "exit " + std::to_string(o.code) + (o.timed_out ? " (timed out)" : "") + "\n--- stdout ---\n" + o.out +
         "--- stderr ---\n" + o.err;
}

}  // namespace

TEST_CASE("dial: an option the mock scenario cannot honour exits 9 naming it, before anything is dialled",
          "[cli]") {
  Fixture f;
  const auto o = f.run({"dial", "success", "--backend", "mock", "--callback", "555-0199", "--json"});
  INFO(describe(o));
  CHECK(o.code == exit_backend);
  CHECK(o.err.find("callback number (--callback)") != std::string::npos);
  CHECK(o.err.find("\"success\"") != std::string::npos);
  CHECK(o.out.find("opening_port") == std::string::npos);  // no event: nothing was dialled
}

TEST_CASE("replay: a truncated trace is refused at once, saying so, in virtual and in real time", "[cli]") {
  Fixture f;
  // A recording whose recorder was killed while connected: it ends after a whole line.
  const auto trace = f.registry.path() / "cut.jsonl";
  {
    std::ofstream out(trace);
    out << R"({"dialkit_trace":1})" << '\n'
        << R"({"connection":1,"backend":"mock","entry":"success","seq":1,"state":"opening_port","previous":null,)"
        << R"("native_code":0,"native_name":"RASCS_OpenPort","error":null,"reason":"","time":0.0})" << '\n'
        << R"({"connection":1,"backend":"mock","entry":"success","seq":2,"state":"connected",)"
        << R"("previous":"opening_port","native_code":8192,"native_name":"RASCS_Connected","error":null,)"
        << R"("reason":"","time":600.0})" << '\n';
  }
  for (const auto& args : {std::vector<std::string>{"replay", trace.string()},
                           std::vector<std::string>{"replay", trace.string(), "--real-time"}}) {
    const auto o = f.run(args, 20s);
    INFO(describe(o));
    CHECK_FALSE(o.timed_out);
    CHECK(o.code == exit_usage);
    CHECK(o.err.find("truncated") != std::string::npos);
    CHECK(o.err.find("cut.jsonl:4") != std::string::npos);
    CHECK(o.out.find("disconnect") == std::string::npos);  // no made-up hang-up
  }
}
