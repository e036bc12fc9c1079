// The command line of `dialkit`; see app.hpp.
#include "app.hpp"

#include "exit_codes.hpp"

namespace dialkit::cli {

CommandLine::CommandLine()
    : app("dialkit: dial, watch and hang up connections through the platform's own dialer\n"
          "(Windows RAS, pppd, NetworkManager) or the scripted mock backend.",
          "dialkit") {
  app.footer(exit_code_help());
  app.set_version_flag("--version", std::string("dialkit ") + DIALKIT_VERSION,
                       "Print dialkit's version and exit");
  app.require_subcommand(1);
  // Lets global options come after the subcommand too (`dialkit dial x --plugin-path D`).
  app.fallthrough();

  app.add_option("--plugin-path", global.plugin_paths,
                 "Search DIR for backend plugins before the default places (repeatable)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  app.add_flag("--allow-insecure-plugins", global.allow_insecure_plugins,
               "Load plugins even from files or directories others can write to");

  backends = app.add_subcommand(
      "backends", "List the backends: description, plugin path, usable or why not, capabilities; refused plugins");
  backends->add_flag("--json", backends_json,
                     "Print one JSON object: the backends with their capabilities, the refused plugins");

  entries = app.add_subcommand("entries", "List the entries (phone-book entries, peers, scenarios) of a backend");
  entries_backend_opt =
      entries->add_option("--backend", entries_backend, "Backend to ask (default: the platform's)")->type_name("B");

  dial = app.add_subcommand("dial", "Dial an entry and print each state as it happens");
  dial->footer(
      "Paused states (password needed, callback number, expired password) are answered on the "
      "terminal\n(/dev/tty; passwords are not echoed), or with --password-stdin from further "
      "lines of stdin. With no\ninput available the dial is hung up (exit code 12). Ctrl-C, "
      "SIGTERM or a closed stdout hang up:\nexit 8 before `connected`, 0 after. After "
      "`connected`, dialkit stays up until the link ends\nor --hangup-after. On a terminal "
      "a live line under the events shows the state and the time\nso far, then how to hang up; "
      "not with --json or -q, nor when stdout is not a terminal.\n\n" +
      exit_code_help());
  dial->add_option("entry", dial_entry, "Entry to dial (see `dialkit entries`)")->required()->type_name("ENTRY");
  dial_backend_opt = dial->add_option("--backend", dial_backend, "Backend to use (default: the platform's)")->type_name("B");
  dial_user_opt = dial->add_option("--user", dial_user, "User name for authentication")->type_name("U");
  dial->add_flag("--password-stdin", dial_password_stdin,
                 "Read the password from the first line of stdin; further lines answer later pauses");
  dial_phone_opt = dial->add_option("--phone", dial_phone, "Phone number to dial instead of the entry's")->type_name("N");
  dial_callback_opt =
      dial->add_option("--callback", dial_callback, "Callback number to give when the server asks")->type_name("N");
  // Numbers are taken as text and checked by usage.cpp, whose errors say what was expected.
  dial_timeout_opt =
      dial->add_option("--timeout", dial_timeout, "Give up unless connected within S seconds (S > 0, 1 ms steps)")
          ->type_name("S");
  dial_redial_opt =
      dial->add_option("--redial", dial_redial, "Redial up to N times (0-1000) when the line is busy, silent or drops")
          ->type_name("N");
  auto* dial_json_opt = dial->add_flag("--json", dial_json, "Print one JSON object per event instead of text");
  dial->add_flag("-q,--quiet", dial_quiet, "Print no events, only the outcome (\"connected: ...\" or the error)")
      ->excludes(dial_json_opt);
  dial_record_opt =
      dial->add_option("--record", dial_record, "Also write the events to FILE as a JSON Lines trace")->type_name("FILE");
  dial_hangup_after_opt =
      dial->add_option("--hangup-after", dial_hangup_after, "Hang up S seconds after connecting (S >= 0)")
          ->type_name("S");

  hangup = app.add_subcommand("hangup", "Hang up a live connection by its id or entry name");
  hangup->add_option("target", hangup_target, "Connection id or entry name (see `dialkit status`)")
      ->required()
      ->type_name("ID|ENTRY");
  hangup_backend_opt = hangup->add_option("--backend", hangup_backend, "The only backend to ask (default: every usable one)")
                          ->type_name("B");

  status = app.add_subcommand("status", "Show live connections (all, or one by id or entry)");
  status_target_opt = status->add_option("target", status_target, "Connection id or entry name")->type_name("ID|ENTRY");
  status_backend_opt = status->add_option("--backend", status_backend, "The only backend to ask (default: every usable one)")
                          ->type_name("B");
  status->add_flag("--json", status_json, "Print one JSON object per connection");

  watch = app.add_subcommand("watch", "Print the events of connections other programs start, until Ctrl-C");
  watch_backend_opt = watch->add_option("--backend", watch_backend, "The only backend to watch (default: every usable one)")
                          ->type_name("B");
  watch->add_flag("--json", watch_json, "Print one JSON object per event");

  replay = app.add_subcommand(
      "replay", "Replay a recorded trace (dial --record) on the mock backend and print its events");
  replay->add_option("trace", replay_trace, "The JSON Lines trace file")->required()->type_name("TRACE");
  replay->add_flag("--json", replay_json, "Print one JSON object per event");
  replay->add_flag("--real-time", replay_real_time, "Keep the recorded pace (default: replay at once in virtual time)");
}

}  // namespace dialkit::cli
