// `dialkit`: a rasdial for every platform. This file parses argv with the command line of app.hpp
// (CLI11) and hands the parsed values to commands.cpp; parse errors exit with the usage code.
#include <chrono>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "app.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "generate.hpp"
#include "input.hpp"
#include "mailbox.hpp"
#include "output.hpp"
#include "usage.hpp"

namespace {

using namespace dialkit::cli;

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options()) {
    for (const auto& name : option->get_lnames()) names.push_back("--" + name);
    for (const auto& name : option->get_snames()) names.push_back("-" + name);
  }
  return names;
}

int usage_error(const std::string& message, const CLI::App* command) {
  const std::string hint = "Run 'dialkit " + (command ? command->get_name() + " " : std::string()) + "--help' for usage.";
  if (json_messages()) {
    error_message(message, ExitCode::usage);
  } else {
    error_message(message, ExitCode::usage);
    std::cerr << hint << '\n';
  }
  return to_int(ExitCode::usage);
}

// Words CLI11 would only call "not expected": an unknown command or option, named, with the
// nearest known one suggested. Values and positionals are left to CLI11 and to the checks of
// the values themselves.
std::optional<std::string> unknown_word(CLI::App& app, int argc, char** argv, CLI::App*& command) {
  bool asked_help = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view token = argv[i];
    if (token == "--") break;
    if (token.size() > 1 && token.front() == '-') {
      const std::string name(token.substr(0, token.find('=')));
      const CLI::Option* option = command ? command->get_option_no_throw(name) : nullptr;
      if (!option) option = app.get_option_no_throw(name);
      if (!option) {
        auto known = option_names(app);
        if (command) {
          auto more = option_names(*command);
          known.insert(known.end(), more.begin(), more.end());
        }
        const auto suggestion = nearest(name, known);
        return std::string(command ? command->get_name() + ": " : "") + "unknown option " + name +
               (suggestion ? "; did you mean " + *suggestion + "?" : "");
      }
      if (name == "--help" || name == "-h" || name == "--version") asked_help = true;
      // An option with a value takes the next word unless it came as --name=value.
      if (takes_value(*option) && token.find('=') == std::string_view::npos) ++i;
      continue;
    }
    if (command) continue;  // the command's own positionals
    std::vector<std::string> names;
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      if (sub->get_name() == token) command = sub;
      names.push_back(sub->get_name());
    }
    if (command) continue;
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    const auto suggestion = nearest(token, names);
    return "'" + std::string(token) + "' is not a dialkit command" +
           (suggestion ? "; did you mean '" + *suggestion + "'?" : " (commands: " + list + ")");
  }
  if (!command && !asked_help) {
    std::string list;
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
      list += (list.empty() ? "" : ", ") + sub->get_name();
    return "no command given (one of: " + list + ")";
  }
  return std::nullopt;
}

template <class T>
std::optional<T> given(const CLI::Option* option, const T& value) {
  if (option->count() == 0) return std::nullopt;
  return value;
}

int run(int argc, char** argv) {
  CommandLine line;
  CLI::App& app = line.app;
  if (argc >= 2 && std::string_view(argv[1]) == "__generate") return generate_command(line.app, argc, argv);

  // With --json, what the CLI tells people on stderr is JSON too, from the first error on.
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--") break;
    else if (std::string_view(argv[i]) == "--json") set_json_messages(true);
  CLI::App* command = nullptr;
  if (const auto message = unknown_word(app, argc, argv, command)) return usage_error(*message, command);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "parse errors" with exit code 0; every real one is a usage
    // error, said in the same shape as the errors above.
    if (e.get_exit_code() == 0) return app.exit(e) == 0 ? to_int(ExitCode::ok) : to_int(ExitCode::usage);
    return usage_error(std::string(command ? command->get_name() + ": " : "") + e.what(), command);
  }

  if (*line.backends) return run_backends(line.global, line.backends_json);
  if (*line.entries) return run_entries(line.global, given(line.entries_backend_opt, line.entries_backend));
  if (*line.dial) {
    keep_secrets_out_of_core_dumps();
    install_stop_signals();
    DialArgs args;
    args.entry = line.dial_entry;
    args.backend = given(line.dial_backend_opt, line.dial_backend);
    args.user = given(line.dial_user_opt, line.dial_user);
    args.password_stdin = line.dial_password_stdin;
    args.phone = given(line.dial_phone_opt, line.dial_phone);
    args.callback = given(line.dial_callback_opt, line.dial_callback);
    if (line.dial_timeout_opt->count() != 0) {
      const auto timeout = parse_seconds("--timeout", line.dial_timeout, false);
      if (!timeout.value) return usage_error(timeout.error, line.dial);
      args.timeout = timeout.value;
    }
    if (line.dial_redial_opt->count() != 0) {
      const auto redial = parse_count("--redial", line.dial_redial, 0, 1000);
      if (!redial.value) return usage_error(redial.error, line.dial);
      args.redial = redial.value;
    }
    args.json = line.dial_json;
    args.quiet = line.dial_quiet;
    args.record = given(line.dial_record_opt, line.dial_record);
    if (line.dial_hangup_after_opt->count() != 0) {
      const auto after = parse_seconds("--hangup-after", line.dial_hangup_after, true);
      if (!after.value) return usage_error(after.error, line.dial);
      args.hangup_after = after.value;
    }
    return run_dial(line.global, args);
  }
  if (*line.hangup) return run_hangup(line.global, line.hangup_target, given(line.hangup_backend_opt, line.hangup_backend));
  if (*line.status)
    return run_status(line.global, given(line.status_target_opt, line.status_target),
                      given(line.status_backend_opt, line.status_backend), line.status_json);
  if (*line.watch) {
    install_stop_signals();
    return run_watch(line.global, given(line.watch_backend_opt, line.watch_backend), line.watch_json);
  }
  if (*line.replay) {
    install_stop_signals();
    return run_replay(line.global, line.replay_trace, line.replay_json, line.replay_real_time);
  }
  return to_int(ExitCode::usage);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "dialkit: internal error: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "dialkit: internal error\n";
  }
  return to_int(ExitCode::internal);
}
