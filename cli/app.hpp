// The command line of `dialkit`, declared once (CLI11): main.cpp parses argv with it, and the
// shell completions and the man page (generate.hpp) are written from it, so neither can drift
// from what the CLI accepts.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace dialkit::cli {

// Every command, option and the variables CLI11 fills in. Not copyable or movable (CLI11 keeps
// pointers to the members).
struct CommandLine {
  CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  CLI::App app;
  GlobalOptions global;

  CLI::App* backends = nullptr;
  bool backends_json = false;

  CLI::App* entries = nullptr;
  std::string entries_backend;
  CLI::Option* entries_backend_opt = nullptr;

  CLI::App* dial = nullptr;
  std::string dial_entry, dial_backend, dial_user, dial_phone, dial_callback, dial_record;
  std::string dial_timeout, dial_hangup_after, dial_redial;
  bool dial_password_stdin = false, dial_json = false, dial_quiet = false;
  CLI::Option *dial_backend_opt = nullptr, *dial_user_opt = nullptr, *dial_phone_opt = nullptr,
              *dial_callback_opt = nullptr, *dial_timeout_opt = nullptr, *dial_redial_opt = nullptr,
              *dial_record_opt = nullptr, *dial_hangup_after_opt = nullptr;

  CLI::App* hangup = nullptr;
  std::string hangup_target, hangup_backend;
  CLI::Option* hangup_backend_opt = nullptr;

  CLI::App* status = nullptr;
  std::string status_target, status_backend;
  bool status_json = false;
  CLI::Option *status_target_opt = nullptr, *status_backend_opt = nullptr;

  CLI::App* watch = nullptr;
  std::string watch_backend;
  bool watch_json = false;
  CLI::Option* watch_backend_opt = nullptr;

  CLI::App* replay = nullptr;
  std::string replay_trace;
  bool replay_json = false, replay_real_time = false;
};

// Whether the option takes a value (`--backend B`) rather than being a flag (`--json`).
[[nodiscard]] inline bool takes_value(const CLI::Option& option) { return option.get_items_expected_max() > 0; }

}  // namespace dialkit::cli
