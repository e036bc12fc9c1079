// `dialkit`: a rasdial for every platform. This file only declares the command line (CLI11)
// and hands the parsed values to commands.cpp; parse errors exit with the usage code.
#include <chrono>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "exit_codes.hpp"
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
      if (option->get_type_size() != 0 && token.find('=') == std::string_view::npos) ++i;
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
  CLI::App app{"dialkit: dial, watch and hang up connections through the platform's own dialer\n"
               "(Windows RAS, pppd, NetworkManager) or the scripted mock backend.",
               "dialkit"};
  app.footer(exit_code_help());
  app.set_version_flag("--version", std::string("dialkit ") + DIALKIT_VERSION,
                       "Print dialkit's version and exit");
  app.require_subcommand(1);
  // Lets global options come after the subcommand too (`dialkit dial x --plugin-path D`).
  app.fallthrough();

  GlobalOptions global;
  app.add_option("--plugin-path", global.plugin_paths,
                 "Search DIR for backend plugins before the default places (repeatable)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  app.add_flag("--allow-insecure-plugins", global.allow_insecure_plugins,
               "Load plugins even from files or directories others can write to");

  auto* backends = app.add_subcommand(
      "backends", "List the backends: description, plugin path, usable or why not; refused plugins");

  std::string entries_backend;
  auto* entries = app.add_subcommand("entries", "List the entries (phone-book entries, peers, scenarios) of a backend");
  auto* entries_backend_opt =
      entries->add_option("--backend", entries_backend, "Backend to ask (default: the platform's)")
          ->type_name("B");

  std::string dial_entry, dial_backend, dial_user, dial_phone, dial_callback, dial_record;
  std::string dial_timeout, dial_hangup_after, dial_redial;
  bool dial_password_stdin = false, dial_json = false;
  auto* dial = app.add_subcommand("dial", "Dial an entry and print each state as it happens");
  dial->footer(
      "Paused states (password needed, callback number, expired password) are answered on the "
      "terminal\n(/dev/tty; passwords are not echoed), or with --password-stdin from further "
      "lines of stdin. With no\ninput available the dial is hung up (exit code 12). Ctrl-C, "
      "SIGTERM or a closed stdout hang up:\nexit 8 before `connected`, 0 after. After "
      "`connected`, dialkit stays up until the link ends\nor --hangup-after.\n\n" +
      exit_code_help());
  dial->add_option("entry", dial_entry, "Entry to dial (see `dialkit entries`)")->required();
  auto* dial_backend_opt =
      dial->add_option("--backend", dial_backend, "Backend to use (default: the platform's)")->type_name("B");
  auto* dial_user_opt = dial->add_option("--user", dial_user, "User name for authentication")->type_name("U");
  dial->add_flag("--password-stdin", dial_password_stdin,
                 "Read the password from the first line of stdin; further lines answer later pauses");
  auto* dial_phone_opt = dial->add_option("--phone", dial_phone, "Phone number to dial instead of the entry's")->type_name("N");
  auto* dial_callback_opt =
      dial->add_option("--callback", dial_callback, "Callback number to give when the server asks")->type_name("N");
  // Numbers are taken as text and checked by usage.cpp, whose errors say what was expected.
  auto* dial_timeout_opt =
      dial->add_option("--timeout", dial_timeout, "Give up unless connected within S seconds (S > 0, 1 ms steps)")
          ->type_name("S");
  auto* dial_redial_opt = dial->add_option("--redial", dial_redial,
                                           "Redial up to N times (0-1000) when the line is busy, silent or drops")
                              ->type_name("N");
  auto* dial_json_opt = dial->add_flag("--json", dial_json, "Print one JSON object per event instead of text");
  bool dial_quiet = false;
  dial->add_flag("-q,--quiet", dial_quiet, "Print no events, only the outcome (\"connected: ...\" or the error)")
      ->excludes(dial_json_opt);
  auto* dial_record_opt = dial->add_option("--record", dial_record, "Also write the events to FILE as a JSON Lines trace")
                              ->type_name("FILE");
  auto* dial_hangup_after_opt =
      dial->add_option("--hangup-after", dial_hangup_after, "Hang up S seconds after connecting (S >= 0)")
          ->type_name("S");

  std::string hangup_target, hangup_backend;
  auto* hangup = app.add_subcommand("hangup", "Hang up a live connection by its id or entry name");
  hangup->add_option("target", hangup_target, "Connection id or entry name (see `dialkit status`)")
      ->required()
      ->type_name("ID|ENTRY");
  auto* hangup_backend_opt = hangup->add_option("--backend", hangup_backend, "Backend to ask")->type_name("B");

  std::string status_target, status_backend;
  bool status_json = false;
  auto* status = app.add_subcommand("status", "Show live connections (all, or one by id or entry)");
  auto* status_target_opt =
      status->add_option("target", status_target, "Connection id or entry name")->type_name("ID|ENTRY");
  auto* status_backend_opt = status->add_option("--backend", status_backend, "Backend to ask")->type_name("B");
  status->add_flag("--json", status_json, "Print one JSON object per connection");

  std::string watch_backend;
  bool watch_json = false;
  auto* watch = app.add_subcommand("watch", "Print the events of connections other programs start, until Ctrl-C");
  auto* watch_backend_opt = watch->add_option("--backend", watch_backend, "Backend to watch")->type_name("B");
  watch->add_flag("--json", watch_json, "Print one JSON object per event");

  std::string replay_trace;
  bool replay_json = false, replay_real_time = false;
  auto* replay = app.add_subcommand(
      "replay", "Replay a recorded trace (dial --record) on the mock backend and print its events");
  replay->add_option("trace", replay_trace, "The JSON Lines trace file")->required()->type_name("TRACE");
  replay->add_flag("--json", replay_json, "Print one JSON object per event");
  replay->add_flag("--real-time", replay_real_time,
                   "Keep the recorded pace (default: replay at once in virtual time)");

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

  if (*backends) return run_backends(global);
  if (*entries) return run_entries(global, given(entries_backend_opt, entries_backend));
  if (*dial) {
    keep_secrets_out_of_core_dumps();
    install_stop_signals();
    DialArgs args;
    args.entry = dial_entry;
    args.backend = given(dial_backend_opt, dial_backend);
    args.user = given(dial_user_opt, dial_user);
    args.password_stdin = dial_password_stdin;
    args.phone = given(dial_phone_opt, dial_phone);
    args.callback = given(dial_callback_opt, dial_callback);
    if (dial_timeout_opt->count() != 0) {
      const auto timeout = parse_seconds("--timeout", dial_timeout, false);
      if (!timeout.value) return usage_error(timeout.error, dial);
      args.timeout = timeout.value;
    }
    if (dial_redial_opt->count() != 0) {
      const auto redial = parse_count("--redial", dial_redial, 0, 1000);
      if (!redial.value) return usage_error(redial.error, dial);
      args.redial = redial.value;
    }
    args.json = dial_json;
    args.quiet = dial_quiet;
    args.record = given(dial_record_opt, dial_record);
    if (dial_hangup_after_opt->count() != 0) {
      const auto after = parse_seconds("--hangup-after", dial_hangup_after, true);
      if (!after.value) return usage_error(after.error, dial);
      args.hangup_after = after.value;
    }
    return run_dial(global, args);
  }
  if (*hangup) return run_hangup(global, hangup_target, given(hangup_backend_opt, hangup_backend));
  if (*status)
    return run_status(global, given(status_target_opt, status_target),
                      given(status_backend_opt, status_backend), status_json);
  if (*watch) {
    install_stop_signals();
    return run_watch(global, given(watch_backend_opt, watch_backend), watch_json);
  }
  if (*replay) {
    install_stop_signals();
    return run_replay(global, replay_trace, replay_json, replay_real_time);
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
