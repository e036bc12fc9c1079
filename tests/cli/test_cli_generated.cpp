// The shell completions and the man page the build writes from the CLI's command line
// (cli/generate.hpp): this test walks the same CLI11 App (cli/app.hpp) and checks that every
// command and option is in each file, that bash really completes with it, that zsh and fish
// accept their files and that man renders the page without a warning.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app.hpp"
#include "process.hpp"
#include "skip.hpp"

using dialkit::test::Outcome;

namespace {

const std::filesystem::path generated_dir = DIALKIT_CLI_GENERATED_DIR;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The words of a file: runs of letters, digits, '_' and '-' (roff's "\-" and font escapes
// undone first), so "-h" is not found inside "--hangup-after".
std::set<std::string> words_of(std::string text) {
  for (const char* escape : {"\\fB", "\\fI", "\\fR", "\\fP"})
    for (auto at = text.find(escape); at != std::string::npos; at = text.find(escape)) text.replace(at, 3, " ");
  for (auto at = text.find("\\-"); at != std::string::npos; at = text.find("\\-")) text.replace(at, 2, "-");
  std::set<std::string> words;
  std::string word;
  for (char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') word += c;
    else if (!word.empty()) words.insert(std::exchange(word, {}));
  }
  return words;
}

struct Names {
  std::vector<std::string> commands;
  std::vector<std::string> top_options;
  // Per command: its own option names.
  std::vector<std::pair<std::string, std::vector<std::string>>> command_options;
};

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options()) {
    for (const auto& n : option->get_snames()) names.push_back("-" + n);
    for (const auto& n : option->get_lnames()) names.push_back("--" + n);
  }
  return names;
}

Names walk(const CLI::App& app) {
  Names names;
  names.top_options = option_names(app);
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.commands.push_back(sub->get_name());
    names.command_options.emplace_back(sub->get_name(), option_names(*sub));
  }
  return names;
}

Outcome shell(const std::string& script) {
  return dialkit::test::run("/bin/sh", {"-c", script}, {{"LC_ALL", "C.UTF-8"}});
}

bool have(const std::string& program) {
  return shell("command -v " + program + " >/dev/null").code == 0;
}

std::set<std::string> split(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

}  // namespace

TEST_CASE("the completions and the man page name every command and every option of each", "[cli][generated]") {
  const dialkit::cli::CommandLine line;
  const Names names = walk(line.app);
  REQUIRE(names.commands.size() >= 7);
  for (const char* file : {"dialkit.bash", "_dialkit", "dialkit.fish", "dialkit.1"}) {
    INFO(file);
    const std::string text = read_text(generated_dir / file);
    const auto words = words_of(text);
    for (const auto& command : names.commands) CHECK(words.count(command) == 1);
    auto has_option = [&](const std::string& option) {
      if (std::string(file) != "dialkit.fish") return words.count(option) == 1;
      // fish names options as `-s q` and `-l quiet`.
      const bool is_long = option.rfind("--", 0) == 0;
      return text.find((is_long ? " -l " + option.substr(2) : " -s " + option.substr(1)) + " ") != std::string::npos;
    };
    for (const auto& option : names.top_options) CHECK(has_option(option));
    for (const auto& [command, options] : names.command_options)
      for (const auto& option : options) {
        INFO(command << ' ' << option);
        CHECK(has_option(option));
      }
  }
}

TEST_CASE("the bash completion completes commands, and each command's options", "[cli][generated]") {
  const std::string file = (generated_dir / "dialkit.bash").string();
  auto complete = [&](const std::string& words, int cword) {
    const Outcome o = dialkit::test::run(
        "/bin/bash",
        {"-c", "source \"$1\"; COMP_WORDS=(" + words + "); COMP_CWORD=" + std::to_string(cword) +
                   "; _dialkit; printf '%s\\n' \"${COMPREPLY[@]}\"",
         "bash", file},
        {});
    INFO(o.err);
    CHECK(o.code == 0);
    CHECK(o.err.empty());
    return split(o.out);
  };
  CHECK(complete("dialkit st", 1) == std::set<std::string>{"status"});
  CHECK(complete("dialkit --plugin-path /tmp h", 3) == std::set<std::string>{"hangup"});
  // A flag before the command takes no value: the command is still found.
  CHECK(complete("dialkit --allow-insecure-plugins status --j", 3) == std::set<std::string>{"--json"});

  const dialkit::cli::CommandLine line;
  const Names names = walk(line.app);
  CHECK(complete("dialkit ''", 1) == std::set<std::string>(names.commands.begin(), names.commands.end()));
  // The global options a command also takes (fallthrough): all but help and version.
  std::set<std::string> global;
  for (const auto& o : names.top_options)
    if (o != "-h" && o != "--help" && o != "--version") global.insert(o);
  for (const auto& [command, options] : names.command_options) {
    INFO(command);
    std::set<std::string> expected(options.begin(), options.end());
    expected.insert(global.begin(), global.end());
    CHECK(complete("dialkit " + command + " -", 2) == expected);
  }
  CHECK(complete("dialkit dial x --q", 3) == std::set<std::string>{"--quiet"});
}

TEST_CASE("zsh and fish accept their completion files", "[cli][generated]") {
  bool checked = false;
  if (have("zsh")) {
    const Outcome o = shell("zsh -n '" + (generated_dir / "_dialkit").string() + "'");
    INFO(o.err);
    CHECK(o.code == 0);
    CHECK(o.err.empty());
    checked = true;
  } else {
    DIALKIT_SKIP("zsh is not installed (tests/cli/debian-packages.txt)");
  }
  if (have("fish")) {
    const std::string file = (generated_dir / "dialkit.fish").string();
    const Outcome syntax = shell("fish -n '" + file + "'");
    INFO(syntax.err);
    CHECK(syntax.code == 0);
    CHECK(syntax.err.empty());
    // Loaded for real, fish completes a command and an option from it.
    const Outcome loaded = shell("fish --no-config -c 'source " + file +
                                 "; complete -C \"dialkit st\"; complete -C \"dialkit dial x --hang\"'");
    INFO(loaded.err);
    CHECK(loaded.code == 0);
    CHECK(loaded.out.find("status") != std::string::npos);
    CHECK(loaded.out.find("--hangup-after") != std::string::npos);
    checked = true;
  } else {
    DIALKIT_SKIP("fish is not installed (tests/cli/debian-packages.txt)");
  }
  (void)checked;
}

TEST_CASE("man renders dialkit(1) without a warning", "[cli][generated]") {
  const std::string file = (generated_dir / "dialkit.1").string();
  Outcome o;
  if (have("man")) {
    o = shell("MANWIDTH=80 man --warnings=all -l '" + file + "' 2>&1 >/dev/null; man -l '" + file + "' >/dev/null");
  } else if (have("groff")) {
    o = shell("groff -man -ww -z -Tutf8 '" + file + "' 2>&1");
  } else if (have("mandoc")) {
    o = shell("mandoc -Tlint -Wwarning '" + file + "'");
  } else {
    DIALKIT_SKIP("none of man, groff or mandoc is installed");
    return;
  }
  INFO(o.out << o.err);
  CHECK(o.code == 0);
  CHECK(o.out.empty());
  CHECK(o.err.empty());
}
