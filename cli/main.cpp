// `dialkit`: a rasdial for every platform. This file only declares the command line (CLI11)
// and hands the parsed values to commands.cpp; parse errors exit with the usage code.
#include <chrono>
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "input.hpp"
#include "mailbox.hpp"

namespace {

using namespace dialkit::cli;

std::chrono::milliseconds seconds_to_ms(double seconds) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(seconds));
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
      "backends", "List the backends: description, plugin path, usable or why not, capabilities; refused plugins");
  bool backends_json = false;
  backends->add_flag("--json", backends_json,
                     "Print one JSON object: the backends with their capabilities, the refused plugins");

  std::string entries_backend;
  auto* entries = app.add_subcommand("entries", "List the entries (phone-book entries, peers, scenarios) of a backend");
  auto* entries_backend_opt =
      entries->add_option("--backend", entries_backend, "Backend to ask (default: the platform's)")
          ->type_name("B");

  std::string dial_entry, dial_backend, dial_user, dial_phone, dial_callback, dial_record;
  double dial_timeout = 0, dial_hangup_after = 0;
  unsigned dial_redial = 0;
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
  auto* dial_timeout_opt = dial->add_option("--timeout", dial_timeout, "Give up unless connected within S seconds")
                               ->type_name("S")
                               ->check(CLI::PositiveNumber);
  auto* dial_redial_opt = dial->add_option("--redial", dial_redial,
                                           "Redial up to N times when the line is busy, silent or drops")
                              ->type_name("N")
                              ->check(CLI::Range(0U, 1000U));
  dial->add_flag("--json", dial_json, "Print one JSON object per event instead of text");
  auto* dial_record_opt = dial->add_option("--record", dial_record, "Also write the events to FILE as a JSON Lines trace")
                              ->type_name("FILE");
  auto* dial_hangup_after_opt =
      dial->add_option("--hangup-after", dial_hangup_after, "Hang up S seconds after connecting")
          ->type_name("S")
          ->check(CLI::NonNegativeNumber);

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is a "parse error" with exit code 0; every real one is a usage error.
    return app.exit(e) == 0 ? to_int(ExitCode::ok) : to_int(ExitCode::usage);
  }

  if (*backends) return run_backends(global, backends_json);
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
    if (dial_timeout_opt->count() != 0) args.timeout = seconds_to_ms(dial_timeout);
    args.redial = given(dial_redial_opt, dial_redial);
    args.json = dial_json;
    args.record = given(dial_record_opt, dial_record);
    if (dial_hangup_after_opt->count() != 0) args.hangup_after = seconds_to_ms(dial_hangup_after);
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
