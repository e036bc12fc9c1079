// Shell completions (bash, zsh, fish) and the man page dialkit(1), written from the command
// line CLI11 parses (app.hpp): every command and option they name is one the CLI accepts. The
// build runs `dialkit __generate KIND FILE` for each and installs the files.
#pragma once

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace dialkit::cli {

[[nodiscard]] std::string bash_completion(const CLI::App& app);
[[nodiscard]] std::string zsh_completion(const CLI::App& app);
[[nodiscard]] std::string fish_completion(const CLI::App& app);
[[nodiscard]] std::string man_page(const CLI::App& app, std::string_view version);

// `dialkit __generate bash|zsh|fish|man [FILE]`: writes that file to FILE, or stdout. Hidden:
// not a command people use, so not in --help or the completions.
int generate_command(const CLI::App& app, int argc, char** argv);

}  // namespace dialkit::cli
