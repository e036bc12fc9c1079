// The CLI on a terminal and off it: on a pseudo-terminal `dial` draws a live status line
// (spinner, state, elapsed time; "Connected — Ctrl-C to hang up" once connected) that redraws
// in place, fits the terminal's width, gives way to prompts and ends cleanly on Ctrl-C; with
// stdout not a terminal, TERM=dumb, --json or -q there is none of it (no escape codes at
// all), and the exit codes are the same either way.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "process.hpp"

using dialkit::test::Environment;
using dialkit::test::Outcome;
using dialkit::test::PtyChild;
using dialkit::test::TempDir;
using namespace std::chrono_literals;

namespace {

// cli/README.md's table, restated on purpose.
constexpr int exit_ok = 0;
constexpr int exit_line = 4;
constexpr int exit_cancelled = 8;

constexpr std::string_view erase = "\r\x1b[K";

// The binary under test: the build tree's, or another named in the environment (an older
// build, to show that these tests catch what they should).
std::string from_env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}
const std::string dialkit_binary = from_env_or("DIALKIT_TEST_CLI", DIALKIT_CLI_BINARY);

struct Fixture {
  TempDir registry;
  Environment env{{"DIALKIT_MOCK_REGISTRY", registry.path().string()},
                  {"DIALKIT_PLUGIN_PATH", DIALKIT_TEST_PLUGIN_DIR},
                  {"TERM", "xterm-256color"},
                  {"LANG", "C.UTF-8"},
                  {"LC_ALL", ""},
                  {"LC_CTYPE", ""}};

  Outcome run(const std::vector<std::string>& args) const {
    return dialkit::test::run(dialkit_binary, args, env);
  }
};

std::string describe(const Outcome& o) {
  return "exit " + std::to_string(o.code) + (o.timed_out ? " (timed out)" : "") + "\n--- terminal/stdout ---\n" +
         o.out + "--- stderr ---\n" + o.err;
}

// Columns on a terminal for the texts below: one per UTF-8 code point (the spinner's braille,
// the em dash and the bullet are one column each).
std::size_t columns(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Each drawing of the live line: what follows an erase up to the next carriage return, line
// feed or escape, unless it is an event line ("+   0.024s  opening_port ...") written there.
std::vector<std::string> drawings(const std::string& terminal) {
  std::vector<std::string> out;
  for (auto at = terminal.find(erase); at != std::string::npos; at = terminal.find(erase, at + 1)) {
    const auto start = at + erase.size();
    const auto end = terminal.find_first_of("\r\n\x1b", start);
    auto drawing = terminal.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!drawing.empty() && drawing[0] != '+') out.push_back(std::move(drawing));
  }
  return out;
}

const std::vector<std::string> spinner{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};

}  // namespace

TEST_CASE("on a terminal, dial shows a live status line that redraws in place, and Connected — Ctrl-C to hang up",
          "[cli][terminal]") {
  Fixture f;
  PtyChild child(dialkit_binary, {"dial", "success", "--backend", "mock"}, f.env, /*stderr_to_pipe=*/true,
                 /*columns=*/100);
  REQUIRE(child.wait_for("Connected — Ctrl-C to hang up  up "));
  // Before that: the spinner, the state, the time since the dial started, the display text;
  // and the spinner turned.
  const auto before = drawings(child.output());
  std::set<std::string> frames;
  bool opening = false;
  for (const auto& d : before) {
    INFO(d);
    if (d.rfind("● Connected", 0) == 0) break;
    const auto space = d.find(' ');
    REQUIRE(space != std::string::npos);
    CHECK(std::find(spinner.begin(), spinner.end(), d.substr(0, space)) != spinner.end());
    frames.insert(d.substr(0, space));
    if (d.find(" opening_port  0.") == space) {
      opening = true;
      CHECK(d.find("s  Opening port...") != std::string::npos);
    }
  }
  CHECK(opening);
  CHECK(frames.size() > 1);
  const auto connected_at = child.output().find("Connected — Ctrl-C");
  // It keeps counting the time connected until the dial ends.
  REQUIRE(child.wait_for(std::string(erase) + "● Connected — Ctrl-C to hang up  up 0.", connected_at + 1));
  child.type("\x03");
  const auto o = child.finish(15s);
  INFO(describe(o));
  CHECK_FALSE(o.timed_out);
  CHECK(o.code == exit_ok);
  CHECK(o.err.find("dialkit: hung up\n") != std::string::npos);
  CHECK(o.err.find('\x1b') == std::string::npos);
  for (const char* state : {" opening_port ", " connected ", " disconnecting ", " disconnected "})
    CHECK(o.out.find(state) != std::string::npos);
  // An event line is written over an erased status line, never after a drawing of it.
  const auto connected_line = o.out.rfind('+', o.out.find("s  connected "));
  REQUIRE(connected_line != std::string::npos);
  REQUIRE(connected_line >= erase.size());
  CHECK(o.out.substr(connected_line - erase.size(), erase.size()) == erase);
  // The line was erased before the dial ended: the last thing on the terminal is an event line.
  const auto last_erase = o.out.rfind(erase);
  CHECK(o.out.find(" disconnected ", last_erase) != std::string::npos);
  for (const auto& d : drawings(o.out)) {
    INFO(d);
    CHECK(columns(d) <= 99);
  }
}

TEST_CASE("the live line fits a narrow terminal and never wraps", "[cli][terminal]") {
  Fixture f;
  PtyChild child(dialkit_binary, {"dial", "success", "--backend", "mock", "--hangup-after", "0.3"}, f.env,
                 /*stderr_to_pipe=*/true, /*columns=*/24);
  const auto o = child.finish(20s);
  INFO(describe(o));
  CHECK(o.code == exit_ok);
  const auto d = drawings(o.out);
  REQUIRE(d.size() > 2);
  for (const auto& drawing : d) {
    INFO(drawing);
    CHECK(columns(drawing) <= 23);
  }
  CHECK(std::any_of(d.begin(), d.end(), [](const std::string& s) { return s.rfind("● Connected — Ctrl-C", 0) == 0; }));
}

TEST_CASE("a prompt on the terminal is not drawn over by the live line", "[cli][terminal]") {
  Fixture f;
  PtyChild child(dialkit_binary, {"dial", "wrong-password", "--backend", "mock"}, f.env,
                 /*stderr_to_pipe=*/true, /*columns=*/100);
  REQUIRE(child.wait_for("User name: "));
  const auto prompt_at = child.output().find("User name: ");
  // The line was erased before the prompt, which starts a line of its own ...
  REQUIRE(prompt_at > 0);
  CHECK(child.output()[prompt_at - 1] == '\n');
  // ... and is not drawn while the prompt waits: the spinner turns every 100 ms, so half a
  // second without a drawing shows it stopped.
  CHECK_FALSE(child.wait_for(erase, prompt_at, 500ms));
  child.type("gina\n");
  REQUIRE(child.wait_for("Password for gina: ", prompt_at));
  const auto password_at = child.output().find("Password for gina: ");
  CHECK_FALSE(child.wait_for(erase, password_at, 500ms));
  child.type("\x03");  // Ctrl-C at the prompt: hung up, cancelled
  const auto o = child.finish(15s);
  INFO(describe(o));
  CHECK_FALSE(o.timed_out);
  CHECK(o.code == exit_cancelled);
  CHECK(o.err.find("stopped before connected; hung up") != std::string::npos);
  CHECK(o.err.find('\x1b') == std::string::npos);
}

TEST_CASE("no live line and no escape codes off a terminal, with TERM=dumb, --json or -q, and the same exit codes",
          "[cli][terminal]") {
  Fixture f;
  struct Case {
    std::vector<std::string> args;
    int code;
  };
  const std::vector<Case> cases{{{"dial", "success", "--backend", "mock", "--hangup-after", "0.2"}, exit_ok},
                                {{"dial", "busy", "--backend", "mock"}, exit_line}};
  for (const auto& c : cases) {
    INFO(c.args[1]);
    // stdout a pipe.
    const auto piped = f.run(c.args);
    INFO(describe(piped));
    CHECK(piped.code == c.code);
    CHECK(piped.out.find('\x1b') == std::string::npos);
    CHECK(piped.err.find('\x1b') == std::string::npos);
    CHECK(piped.out.find("Ctrl-C to hang up") == std::string::npos);
    // A terminal, but TERM=dumb (or none).
    for (const char* term : {"dumb", ""}) {
      Environment env = f.env;
      env["TERM"] = term;
      PtyChild dumb(dialkit_binary, c.args, env, /*stderr_to_pipe=*/true, 100);
      const auto o = dumb.finish(20s);
      INFO("TERM=" << term << '\n' << describe(o));
      CHECK(o.code == c.code);
      CHECK(o.out.find('\x1b') == std::string::npos);
      CHECK(o.out.find(" opening_port ") != std::string::npos);  // the event lines still are
    }
    // A terminal, with --json or -q.
    for (const char* flag : {"--json", "-q"}) {
      auto args = c.args;
      args.emplace_back(flag);
      PtyChild child(dialkit_binary, args, f.env, /*stderr_to_pipe=*/true, 100);
      const auto o = child.finish(20s);
      INFO(flag << '\n' << describe(o));
      CHECK(o.code == c.code);
      CHECK(o.out.find('\x1b') == std::string::npos);
      CHECK(o.out.find("Ctrl-C to hang up") == std::string::npos);
      if (std::string_view(flag) == "-q") {
        // Only the outcome: one line for a dial that connected, nothing for one that failed.
        if (c.code == exit_ok)
          CHECK(o.out.rfind("connected: success on mock as ", 0) == 0);
        else
          CHECK(o.out.empty());
        CHECK(std::count(o.out.begin(), o.out.end(), '\n') == (c.code == exit_ok ? 1 : 0));
      }
    }
  }
}
