// The CLI's subcommands, each returning the process exit code (exit_codes.hpp). main.cpp
// parses arguments with CLI11 and calls these; they own everything after parsing.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace dialkit::cli {

struct GlobalOptions {
  std::vector<std::string> plugin_paths;
  bool allow_insecure_plugins = false;
};

struct DialArgs {
  std::string entry;
  std::optional<std::string> backend;
  std::optional<std::string> user;
  bool password_stdin = false;
  std::optional<std::string> phone;
  std::optional<std::string> callback;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<unsigned> redial;
  bool json = false;
  bool quiet = false;
  std::optional<std::string> record;
  std::optional<std::chrono::milliseconds> hangup_after;
};

int run_backends(const GlobalOptions& global, bool json);
int run_entries(const GlobalOptions& global, const std::optional<std::string>& backend);
int run_dial(const GlobalOptions& global, const DialArgs& args);
int run_hangup(const GlobalOptions& global, const std::string& target,
               const std::optional<std::string>& backend);
int run_status(const GlobalOptions& global, const std::optional<std::string>& target,
               const std::optional<std::string>& backend, bool json);
int run_watch(const GlobalOptions& global, const std::optional<std::string>& backend, bool json);
int run_replay(const GlobalOptions& global, const std::string& trace, bool json, bool real_time);

}  // namespace dialkit::cli
