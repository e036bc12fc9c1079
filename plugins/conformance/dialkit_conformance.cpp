// dialkit-conformance: runs the backend conformance suite (dialkit/conformance.hpp) against a
// plugin file, loaded by the real loader. Exit 0: passed; 1: a check failed or the plugin did
// not load; 2: bad arguments; 77: the backend's probe failed, so nothing was dialled (ctest's
// SKIP_RETURN_CODE).
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>

#include <dialkit/conformance.hpp>

namespace {

constexpr std::string_view usage =
    "Usage: dialkit-conformance [OPTIONS] PLUGIN_FILE\n"
    "Runs the dialkit backend conformance suite against the backend in PLUGIN_FILE.\n"
    "  --real-time                 real-time scheduler and dispatcher thread (default: virtual\n"
    "                              time, for backends whose every delay goes through the\n"
    "                              runtime's Scheduler)\n"
    "  --entry NAME                dial only NAME (repeatable; default: every listed entry)\n"
    "  --option KEY=VALUE          a backend option (RuntimeOptions::backend_options)\n"
    "  --no-entries-ok             an empty entry list is not a failure\n"
    "  --connects ENTRY            the fixture: ENTRY connects\n"
    "  --pauses ENTRY              the fixture: ENTRY pauses in retry_authentication for a\n"
    "                              refused password; the password it accepts comes from the\n"
    "                              environment variable DIALKIT_CONFORMANCE_PASSWORD (never\n"
    "                              the command line; empty or unset: any)\n"
    "  --pauses-without-password   the fixture: ENTRY pauses only when dialled without one\n"
    "  --user NAME                 the user name of the suite's credentials\n"
    "  --option-entry OPTION=ENTRY the fixture: try the declared dial OPTION on ENTRY\n"
    "  --no-hangup-in-every-state  skip the hang-up in every state\n"
    "  --allow-insecure-plugins    load the file even if others can write to it\n"
    "  --verbose                   print every dial's events\n"
    "Exit codes: 0 passed, 1 failed, 2 bad arguments, 77 backend unavailable (skipped).\n";

int bad(const std::string& what) {
  std::cerr << "dialkit-conformance: " << what << "\n" << usage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  dialkit::conformance::Options options;
  bool allow_insecure = false;
  std::string file;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    } else if (arg == "--real-time") {
      options.time = dialkit::conformance::Options::Time::real_time;
    } else if (arg == "--entry") {
      const char* v = value();
      if (v == nullptr) return bad("--entry needs a name");
      options.entries.emplace_back(v);
    } else if (arg == "--option") {
      const char* v = value();
      const char* eq = v == nullptr ? nullptr : std::strchr(v, '=');
      if (eq == nullptr) return bad("--option needs KEY=VALUE");
      options.backend_options[std::string(v, eq)] = std::string(eq + 1);
    } else if (arg == "--no-entries-ok") {
      options.require_entries = false;
    } else if (arg == "--connects" || arg == "--pauses" || arg == "--user") {
      const char* v = value();
      if (v == nullptr) return bad(std::string(arg) + " needs a value");
      (arg == "--connects" ? options.fixture.connects
       : arg == "--pauses" ? options.fixture.pauses
                           : options.fixture.user) = v;
    } else if (arg == "--option-entry") {
      const char* v = value();
      const char* eq = v == nullptr ? nullptr : std::strchr(v, '=');
      if (eq == nullptr) return bad("--option-entry needs OPTION=ENTRY");
      options.fixture.option_entries[std::string(v, eq)] = std::string(eq + 1);
    } else if (arg == "--pauses-without-password") {
      options.fixture.refuses_wrong_password = false;
    } else if (arg == "--no-hangup-in-every-state") {
      options.hang_up_in_every_state = false;
    } else if (arg == "--allow-insecure-plugins") {
      allow_insecure = true;
    } else if (arg == "--verbose") {
      options.log = [](const std::string& line) { std::cout << "  " << line << std::endl; };
    } else if (!arg.empty() && arg.front() == '-') {
      return bad("unknown option " + std::string(arg));
    } else if (file.empty()) {
      file = std::string(arg);
    } else {
      return bad("only one plugin file");
    }
  }
  if (file.empty()) return bad("no plugin file given");
  if (const char* password = std::getenv("DIALKIT_CONFORMANCE_PASSWORD")) options.fixture.right_password = password;
  const auto report = dialkit::conformance::run_plugin_file(file, options, allow_insecure);
  std::cout << report.summary();
  if (report.skipped()) return 77;
  return report.passed() ? 0 : 1;
}
