// The subcommands; see commands.hpp. Every command builds one dialkit::Runtime (real-time
// scheduler, dispatcher thread), picks a backend, and reports failures as
// "dialkit: <what>: <error message>" on stderr with the exit code of the error's class.
#include "commands.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#if !defined(_WIN32)
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <nlohmann/json.hpp>

#include <dialkit/runtime.hpp>
#include <dialkit/trace.hpp>

#include "exit_codes.hpp"
#include "input.hpp"
#include "live_line.hpp"
#include "mailbox.hpp"
#include "output.hpp"
#include "prompts.hpp"

namespace dialkit::cli {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view mock_backend = "mock";

int report(const Error& error, std::string_view what) {
  error_message(std::string(what) + ": " + error.message(), exit_code_for(error), &error);
  return to_int(exit_code_for(error));
}

// One line on stdout. Once its reader is gone (EPIPE: SIGPIPE is ignored, mailbox.hpp) nothing
// more is written and the command's loop ends the way a stop signal would.
void emit(const std::string& line) {
  if (stdout_closed()) return;
  std::cout << line << '\n' << std::flush;
  if (!std::cout) note_stdout_closed();
}

// Why the CLI stops a command of its own accord: a stop signal, or a closed stdout.
bool asked_to_stop() { return stop_signal() != 0 || stdout_closed(); }

// $DIALKIT_MOCK_REGISTRY, else ${XDG_RUNTIME_DIR:-/tmp}/dialkit-mock-$UID: where mock dials of
// every process of this user meet, so status, hangup and watch work across processes.
fs::path mock_registry_dir() {
  if (const char* dir = std::getenv("DIALKIT_MOCK_REGISTRY"); dir != nullptr && *dir != '\0')
    return dir;
#if defined(_WIN32)
  // Windows: the user's own temporary directory (%TEMP%, inside the profile) is private.
  std::error_code ec;
  return fs::temp_directory_path(ec) / "dialkit-mock";
#else
  const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  const fs::path base = (runtime_dir != nullptr && *runtime_dir != '\0') ? runtime_dir : "/tmp";
  return base / ("dialkit-mock-" + std::to_string(::getuid()));
#endif
}

// Creates the registry directory 0700, and refuses one that someone else could have planted
// (it sits in /tmp when XDG_RUNTIME_DIR is unset).
Result<void> ensure_private_dir(const fs::path& dir) {
  std::error_code ec;
#if defined(_WIN32)
  // Windows: ACLs, not mode bits, keep it private; the directory is in the user's profile.
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir, ec))
    return fail(make_error(Errc::system_error, "cannot create the mock registry " + dir.string()));
  return {};
#else
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail(make_error(Errc::system_error, "cannot create the mock registry " + dir.string() +
                                                   ": " + std::strerror(errno)));
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0)
    return fail(make_error(Errc::system_error,
                           "cannot read " + dir.string() + ": " + std::strerror(errno)));
  if (!S_ISDIR(info.st_mode))
    return fail(make_error(Errc::permission_denied,
                           "the mock registry " + dir.string() + " is not a directory"));
  if (info.st_uid != ::getuid())
    return fail(make_error(Errc::permission_denied,
                           "the mock registry " + dir.string() + " belongs to another user"));
  if ((info.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0)
    return fail(make_error(Errc::permission_denied,
                           "cannot make " + dir.string() + " private: " + std::strerror(errno)));
  return {};
#endif
}

RuntimeOptions runtime_options(const GlobalOptions& global) {
  RuntimeOptions options;
  for (const auto& path : global.plugin_paths) options.plugins.paths.emplace_back(path);
  options.plugins.allow_insecure = global.allow_insecure_plugins;
  options.backend_options[std::string(mock_backend)]["registry_dir"] = mock_registry_dir().string();
  return options;
}

Result<Dialer> mock_dialer(Runtime& runtime) {
  if (auto ok = ensure_private_dir(mock_registry_dir()); !ok) return fail(ok.error());
  return runtime.dialer(mock_backend);
}

// --backend B, else the platform's own backend, else the mock, saying so: a user who gets
// scripted dials must know they are scripted.
Result<Dialer> choose_dialer(Runtime& runtime, const std::optional<std::string>& backend) {
  if (backend) {
    if (*backend == mock_backend) return mock_dialer(runtime);
    return runtime.dialer(*backend);
  }
  auto dialer = runtime.default_dialer();
  if (dialer) return dialer;
  std::string reasons;
  auto add = [&reasons](const std::string& text) {
    if (!reasons.empty()) reasons += "; ";
    reasons += text;
  };
  for (const auto& b : runtime.backends()) {
    if (b.is_fake) continue;
    add(b.name + ": " + (b.unusable ? b.unusable->message() : dialer.error().message()));
  }
  for (const auto& refusal : runtime.refused_plugins())
    add(refusal.path.filename().string() + " refused: " + refusal.error.message());
  if (reasons.empty()) add("no platform backend plugin was found");
  note("no platform backend is usable here (" + reasons + "); using the mock backend");
  return mock_dialer(runtime);
}

// For status, hangup and watch: --backend B alone (that it cannot be used is an error), else
// every usable backend that is not a fake; one that cannot be used is skipped with a note.
// When none is usable, the mock, as choose_dialer() says.
struct Chosen {
  std::vector<Dialer> dialers;
};

Result<Chosen> choose_dialers(Runtime& runtime, const std::optional<std::string>& backend) {
  Chosen chosen;
  if (backend) {
    auto dialer = choose_dialer(runtime, backend);
    if (!dialer) return fail(dialer.error());
    chosen.dialers.push_back(std::move(*dialer));
    return chosen;
  }
  std::string skipped;
  for (const auto& b : runtime.backends()) {
    if (b.is_fake) continue;
    auto dialer = b.unusable ? Result<Dialer>(fail(*b.unusable)) : runtime.dialer(b.name);
    if (!dialer) {
      skipped += (skipped.empty() ? "" : "; ") + b.name + ": " + dialer.error().message();
      continue;
    }
    chosen.dialers.push_back(std::move(*dialer));
  }
  if (chosen.dialers.empty()) {
    auto mock = choose_dialer(runtime, std::nullopt);  // says why, and that it is the mock
    if (!mock) return fail(mock.error());
    chosen.dialers.push_back(std::move(*mock));
    return chosen;
  }
  if (!skipped.empty()) note("skipped the backends that are not usable here (" + skipped + ")");
  return chosen;
}

// The names of `dialers`, for people: "pppd, networkmanager".
std::string names_of(const std::vector<Dialer>& dialers) {
  std::string names;
  for (const auto& d : dialers) names += (names.empty() ? "" : ", ") + d.backend_name();
  return names;
}

// A live connection and the backend it is on.
struct Found {
  Dialer* dialer;
  LiveConnection connection;
};

// The live connections of every chosen backend. One that cannot list them is an error when it
// was named (or is the only one), else a note.
Result<std::vector<Found>> live_connections(Chosen& chosen) {
  std::vector<Found> all;
  std::optional<Error> failure;
  std::size_t answered = 0;
  for (auto& dialer : chosen.dialers) {
    auto live = dialer.connections();
    if (!live) {
      if (chosen.dialers.size() == 1) return fail(live.error());
      note("skipped " + dialer.backend_name() + ": cannot list its connections: " + live.error().message());
      failure = live.error();
      continue;
    }
    ++answered;
    for (auto& c : *live) all.push_back(Found{&dialer, std::move(c)});
  }
  if (answered == 0 && failure) return fail(*failure);
  return all;
}

// How a dial that reached `disconnected` ends the process.
struct Ending {
  std::optional<std::pair<ExitCode, std::string>> forced;  // set by the CLI (input, hang-up)
  bool hung_up_here = false;
  bool was_connected = false;
};

int conclude(const Event& last, const Ending& ending) {
  if (ending.forced) {
    error_message(ending.forced->second, ending.forced->first);
    return to_int(ending.forced->first);
  }
  if (last.error) return report(*last.error, "dial " + last.entry + " failed");
  if (ending.hung_up_here) {
    const char* why = stdout_closed() && stop_signal() == 0 ? "stdout was closed; " : "";
    if (!ending.was_connected) {
      // Stopped on request before it connected: cancelled (exit 8), as for any other dial
      // that was stopped before it connected.
      error_message(std::string(why) + "stopped before connected; hung up", ExitCode::cancelled);
      return to_int(ExitCode::cancelled);
    }
    note(std::string(why) + "hung up");
    return to_int(ExitCode::ok);
  }
  const std::string reason = last.reason.empty() ? std::string() : " (" + last.reason + ")";
  if (ending.was_connected) {
    note("the connection ended" + reason);
    return to_int(ExitCode::ok);
  }
  error_message("the dial ended before it connected" + reason, ExitCode::cancelled);
  return to_int(ExitCode::cancelled);
}

struct LoopSettings {
  bool json = false;
  // -q: no event lines; only the outcome.
  bool quiet = false;
  // The live status line, when stdout is a terminal (live_line.hpp).
  bool live_line = false;
  // The connection's id across processes (Connection::status().device.native_id), put on
  // every event shown and recorded, so that the dial prints the id status, hangup and watch use.
  std::string live_id;
  // Written on the main thread in the order events were delivered (--record).
  TraceRecorder* record = nullptr;
  std::optional<std::chrono::milliseconds> hangup_after;
  // Off for replays: a replayed trace resumes its own pauses.
  bool answer_pauses = true;
  std::optional<std::string> callback;
  std::string user;
  // Passwords given so far for this dial (with the dial, or answering a pause), and how many
  // the CLI tries before it gives up.
  int passwords_given = 0;
  static constexpr int password_tries = 3;
};

// Drives one connection on the main thread until `disconnected`: prints each event, answers
// pauses, and hangs up on a stop signal or after --hangup-after.
class DialLoop {
 public:
  DialLoop(Connection& connection, Mailbox& mailbox, InputSource& input, LoopSettings settings,
           Clock::time_point origin)
      : connection_(connection),
        mailbox_(mailbox),
        input_(input),
        settings_(std::move(settings)),
        origin_(origin),
        live_(settings_.live_line, origin) {}

  int run() {
    for (;;) {
      while (auto event = mailbox_.take()) {
        if (event->replayed) continue;
        if (event->live_id.empty()) event->live_id = settings_.live_id;
        if (settings_.record != nullptr) (*settings_.record)(*event);
        live_.clear();
        show(*event);
        live_.update(*event);
        if (event->state == State::connected) {
          ending_.was_connected = true;
          if (settings_.hangup_after) hangup_at_ = Clock::now() + *settings_.hangup_after;
        }
        if (event->state == State::disconnected) return conclude(*event, ending_);
        if (is_paused(event->state) && settings_.answer_pauses && !hung_up_) {
          if (!answer(*event)) return to_int(ending_.forced->first);
        }
      }
      if (asked_to_stop() && !hung_up_) {
        ending_.hung_up_here = true;
        if (!hang_up()) return to_int(ending_.forced->first);
        continue;
      }
      if (hangup_at_ && Clock::now() >= *hangup_at_ && !hung_up_) {
        ending_.hung_up_here = true;
        if (!hang_up()) return to_int(ending_.forced->first);
        continue;
      }
      live_.draw();
      std::optional<Clock::time_point> wake = hung_up_ ? std::nullopt : hangup_at_;
      if (const auto redraw = live_.next_draw(); redraw && (!wake || *redraw < *wake)) wake = redraw;
      mailbox_.wait(wake);
    }
  }

 private:
  void show(const Event& event) const {
    if (settings_.quiet) {
      // One line, the outcome, for a dial that connected; a failure is told on stderr.
      if (event.state == State::connected && !ending_.was_connected)
        emit("connected: " + event.entry + " on " + event.backend +
             (event.live_id.empty() ? std::string() : " as " + event.live_id));
      return;
    }
    emit(settings_.json ? event_to_json(event, origin_) : format_event(event, origin_));
  }

  // Returns false when the hang-up itself failed: no `disconnected` will come then.
  bool hang_up() {
    hung_up_ = true;
    if (auto done = connection_.hangup(); !done) {
      error_message("hang-up failed: " + done.error().message(), exit_code_for(done.error()), &done.error());
      if (!ending_.forced) ending_.forced = std::make_pair(exit_code_for(done.error()), std::string("the connection may still be up"));
      return false;
    }
    return true;
  }

  // Ends the dial because the CLI cannot go on; the `disconnected` that follows is printed and
  // then this reason decides the exit code.
  bool give_up_dial(ExitCode code, std::string message) {
    if (!ending_.forced) ending_.forced = std::make_pair(code, std::move(message));
    return hang_up();
  }

  // Gets the paused state's input and resumes. Returns false only if hanging up failed.
  bool answer(const Event& event) {
    if (mailbox_.ending_queued()) return true;
    const auto give_up = [this] { return asked_to_stop() || mailbox_.ending_queued(); };
    std::optional<ResumeInput> input;
    std::string needed;
    Answer unavailable;
    auto ask = [&](std::string_view prompt, bool hidden) -> std::optional<Secret> {
      // The prompt takes the line; the spinner waits until it is answered.
      live_.clear();
      Answer a = input_.ask(prompt, hidden, give_up);
      if (a.kind == Answer::Kind::ok) return std::move(a.text);
      unavailable = std::move(a);
      return std::nullopt;
    };

    switch (event.state) {
      case State::retry_authentication: {
        needed = "a user name and password";
        // A pause after a password was given means it was rejected: say so, and stop after
        // the CLI's own limit of tries (as sudo does) rather than ask for ever.
        std::string told;
        if (settings_.passwords_given > 0) {
          if (settings_.passwords_given >= LoopSettings::password_tries)
            return give_up_dial(ExitCode::authentication,
                                "the password was rejected " + std::to_string(settings_.passwords_given) +
                                    " times; hung up");
          const int left = LoopSettings::password_tries - settings_.passwords_given;
          told = std::string(prompts::rejected) + std::to_string(left) + (left == 1 ? " try" : " tries") +
                 " left.\n";
        }
        std::string user = settings_.user;
        if (user.empty() && input_.mode() == InputSource::Mode::terminal) {
          auto typed = ask(told + std::string(prompts::user_name), false);
          if (!typed) break;
          user = std::string(typed->reveal());
          told.clear();
        }
        const std::string prompt =
            told + (user.empty() ? std::string(prompts::password) : std::string(prompts::password_for) + user + ": ");
        auto password = ask(prompt, true);
        if (!password) break;
        settings_.user = user;
        ++settings_.passwords_given;
        input = Credentials{user, std::move(*password), {}};
        break;
      }
      case State::callback_set_by_caller: {
        needed = "a callback number";
        if (settings_.callback) {
          // --callback answers the first such pause; a repeated pause means it was refused.
          input = CallbackNumber{*std::exchange(settings_.callback, std::nullopt)};
          break;
        }
        auto number = ask(prompts::callback_number, false);
        if (number) input = CallbackNumber{std::string(number->reveal())};
        break;
      }
      case State::password_expired: {
        needed = "a new password";
        // On a terminal it is typed twice; a mismatch is asked again, up to the tries limit.
        std::string told;
        for (int round = 1;; ++round) {
          auto password = ask(told + std::string(prompts::new_password), true);
          if (!password) break;
          if (input_.mode() != InputSource::Mode::terminal) {
            input = NewPassword{std::move(*password)};
            break;
          }
          auto again = ask(prompts::retype_new_password, true);
          if (!again) break;
          if (*again == *password) {
            input = NewPassword{std::move(*password)};
            break;
          }
          if (round >= LoopSettings::password_tries)
            return give_up_dial(ExitCode::usage, "the new passwords did not match (" + std::to_string(round) +
                                                     " tries); hung up");
          told = std::string(prompts::mismatch) + "\n";
        }
        break;
      }
      case State::invoke_eap_ui: {
        needed = "EAP input";
        auto data = ask(prompts::eap_input, false);
        if (data) input = EapInput{std::string(data->reveal())};
        break;
      }
      case State::interactive: {
        needed = "a terminal session with the peer";
        if (ask(prompts::terminal_session, false))
          input = TerminalDone{};
        break;
      }
      default:
        return true;
    }

    if (!input) {
      if (unavailable.kind == Answer::Kind::interrupted) return true;  // the loop sees why
      return give_up_dial(ExitCode::input_unavailable,
                          "the dial paused in " + std::string(state_name(event.state)) + " (" +
                              std::string(display_text(event.state)) + ") and needs " + needed +
                              ", but no input is available: " + unavailable.why);
    }
    if (auto resumed = connection_.resume(std::move(*input)); !resumed) {
      // The dial may have ended while we asked; its `disconnected` then says why.
      if (mailbox_.ending_queued() || connection_.ended()) return true;
      return give_up_dial(exit_code_for(resumed.error()),
                          "cannot resume " + std::string(state_name(event.state)) + ": " +
                              resumed.error().message());
    }
    return true;
  }

  Connection& connection_;
  Mailbox& mailbox_;
  InputSource& input_;
  LoopSettings settings_;
  Clock::time_point origin_;
  Ending ending_;
  LiveLine live_;
  bool hung_up_ = false;
  std::optional<Clock::time_point> hangup_at_;
};

std::vector<std::string> live_state_row(const std::string& backend, const LiveConnection& c) {
  return {backend, c.id, c.entry, std::string(state_name(c.state)), std::string(group_name(state_group(c.state))),
          std::string(c.started_here ? "here" : "elsewhere") + (c.device.empty() ? "" : "  device: " + c.device)};
}

std::string live_state_json(const std::string& backend, const LiveConnection& c) {
  nlohmann::json j;
  j["backend"] = backend;
  j["id"] = c.id;
  j["entry"] = c.entry;
  j["state"] = std::string(state_name(c.state));
  j["group"] = std::string(group_name(state_group(c.state)));
  j["display"] = std::string(display_text(c.state));
  j["started_here"] = c.started_here;
  j["device"] = c.device;
  return j.dump();
}

// Connections matching an id exactly, else by entry name (every one of that entry).
std::vector<Found> matching(const std::vector<Found>& all, const std::string& target) {
  std::vector<Found> found;
  for (const auto& f : all)
    if (f.connection.id == target) found.push_back(f);
  if (!found.empty()) return found;
  for (const auto& f : all)
    if (f.connection.entry == target) found.push_back(f);
  return found;
}

// A declaration as JSON: the names of what it declares (DESIGN.md section 7).
nlohmann::json capabilities_json(const Capabilities& c) {
  nlohmann::json options = nlohmann::json::array();
  for (const auto& info : dial_option_table)
    if (c.honours(info.option)) options.push_back(std::string(info.name));
  nlohmann::json pauses = nlohmann::json::array();
  for (const auto& info : state_table)
    if (info.group == StateGroup::paused && c.can_pause(info.state)) pauses.push_back(std::string(info.name));
  return {{"dial_options", std::move(options)},
          {"paused_states", std::move(pauses)},
          {"connection_info", nlohmann::json::array()},  // no field is defined yet (section 8)
          {"phone_book", nlohmann::json::array()},       // no operation is defined yet (section 9)
          {"watch", std::string(watch_kind_name(c.watch))},
          {"hangup_by_id", c.hangup_by_id},
          {"idle_disconnect", c.idle_disconnect}};
}

// One line for people: the dial options, the pauses, the watch and hang-up by id.
std::string capabilities_summary(const Capabilities& c) {
  std::string options;
  for (const auto& info : dial_option_table)
    if (c.honours(info.option)) options += (options.empty() ? "" : ", ") + std::string(info.name);
  std::size_t pauses = 0;
  for (const auto& info : state_table)
    if (info.group == StateGroup::paused && c.can_pause(info.state)) ++pauses;
  return "options: " + (options.empty() ? std::string("none") : options) + "; pauses: " + std::to_string(pauses) +
         "; watch: " + std::string(watch_kind_name(c.watch)) + "; hang-up by id: " + (c.hangup_by_id ? "yes" : "no");
}

}  // namespace

int run_backends(const GlobalOptions& global, bool json) {
  Runtime runtime(runtime_options(global));
  const auto backends = runtime.backends();
  std::optional<std::string> default_name;
  for (const auto& b : backends)
    if (!b.is_fake && !b.unusable) {
      default_name = b.name;
      break;
    }
  if (json) {
    nlohmann::json out{{"backends", nlohmann::json::array()}, {"refused", nlohmann::json::array()}};
    for (const auto& b : backends) {
      nlohmann::json unusable = nullptr;
      if (b.unusable) unusable = {{"code", std::string(b.unusable->name())}, {"message", b.unusable->message()}};
      out["backends"].push_back({{"name", b.name},
                                 {"description", b.description},
                                 {"path", b.path},
                                 {"fake", b.is_fake},
                                 {"default", default_name && *default_name == b.name},
                                 {"usable", !b.unusable},
                                 {"unusable", std::move(unusable)},
                                 {"capabilities", capabilities_json(b.capabilities)}});
    }
    for (const auto& r : runtime.refused_plugins())
      out["refused"].push_back({{"path", r.path.string()}, {"message", r.error.message()}});
    emit(out.dump());
    return to_int(ExitCode::ok);
  }
  if (backends.empty()) std::cout << "No backends found.\n";
  for (const auto& b : backends) {
    std::cout << b.name;
    if (b.is_fake) std::cout << "  (fake: scripted scenarios, used only by name: --backend " << b.name << ')';
    if (default_name && *default_name == b.name) std::cout << "  (default)";
    std::cout << "\n  description: " << b.description << "\n  path: " << b.path
              << "\n  status: " << (b.unusable ? "unusable: " + b.unusable->message() : "usable")
              << "\n  capabilities: " << capabilities_summary(b.capabilities) << '\n';
  }
  const auto refused = runtime.refused_plugins();
  if (!refused.empty()) {
    std::cout << "\nRefused plugins:\n";
    for (const auto& r : refused) std::cout << "  " << r.path.string() << "\n    " << r.error.message() << '\n';
  }
  std::cout << std::flush;
  return to_int(ExitCode::ok);
}

int run_entries(const GlobalOptions& global, const std::optional<std::string>& backend) {
  Runtime runtime(runtime_options(global));
  auto dialer = choose_dialer(runtime, backend);
  if (!dialer) return report(dialer.error(), "cannot use backend " + backend.value_or("(default)"));
  auto listing = dialer->list_entries();
  if (!listing) return report(listing.error(), "cannot list the entries of " + dialer->backend_name());
  // What the backend left out is said, not hidden: an entry a user expects may be among them.
  for (const auto& skipped : listing->skipped)
    note("warning: " + dialer->backend_name() + " skipped " + skipped.source + ": " + skipped.error.message());
  std::vector<std::vector<std::string>> rows{{"NAME", "TYPE", "DESCRIPTION"}};
  for (const auto& e : listing->entries) rows.push_back({e.name, e.type, e.description});
  std::cout << format_table(rows);
  std::cout << std::flush;
  return to_int(ExitCode::ok);
}

int run_dial(const GlobalOptions& global, const DialArgs& args) {
  InputSource input = InputSource::from_stdin(args.password_stdin);
  DialOptions options;
  options.handle_paused_states = true;
  if (args.password_stdin) {
    Answer first = input.ask(prompts::password, true, [] { return asked_to_stop(); });
    if (first.kind == Answer::Kind::interrupted) {
      error_message("interrupted before dialing", ExitCode::cancelled);
      return to_int(ExitCode::cancelled);
    }
    if (first.kind != Answer::Kind::ok) {
      error_message("--password-stdin: no password line on stdin", ExitCode::usage);
      return to_int(ExitCode::usage);
    }
    options.credentials = Credentials{args.user.value_or(""), std::move(first.text), {}};
  } else if (args.user && input.mode() == InputSource::Mode::terminal) {
    // `rasdial ENTRY USER *`: with a user name and a terminal, the password is asked before
    // dialling (an empty line dials with no password: the backend's stored one, if any).
    Answer typed = input.ask(std::string(prompts::password_for) + *args.user + ": ", true, [] { return asked_to_stop(); });
    if (typed.kind == Answer::Kind::interrupted) {
      error_message("interrupted before dialing", ExitCode::cancelled);
      return to_int(ExitCode::cancelled);
    }
    if (typed.kind != Answer::Kind::ok) typed.text = Secret();
    options.credentials = Credentials{*args.user, std::move(typed.text), {}};
  } else if (args.user) {
    options.credentials = Credentials{*args.user, Secret(), {}};
  }
  const bool password_given = options.credentials && !options.credentials->password.empty();
  options.phone_number = args.phone;
  options.callback_number = args.callback;
  if (args.timeout) options.timeout = *args.timeout;
  if (args.redial) options.redial.attempts = *args.redial + 1;

  std::unique_ptr<std::ofstream> record_file;
  std::unique_ptr<TraceRecorder> recorder;
  if (args.record) {
    record_file = std::make_unique<std::ofstream>(*args.record, std::ios::out | std::ios::trunc);
    if (!*record_file) {
      error_message("cannot write the trace " + *args.record + ": " + std::strerror(errno), ExitCode::usage);
      return to_int(ExitCode::usage);
    }
    recorder = std::make_unique<TraceRecorder>(*record_file);
  }

  Runtime runtime(runtime_options(global));
  // An option the backend does not declare is refused before the backend is even probed
  // (Dialer::dial() would refuse it too, once the backend is usable).
  if (args.backend)
    if (auto ok = runtime.check_dial_options(*args.backend, options); !ok)
      return report(ok.error(), "cannot dial " + args.entry);
  auto dialer = choose_dialer(runtime, args.backend);
  if (!dialer) return report(dialer.error(), "cannot use backend " + args.backend.value_or("(default)"));

  Mailbox mailbox;
  // Runs on the dispatcher thread: hand over, nothing else. The main thread records, in the
  // same (delivery) order, once it knows the connection's id.
  EventSlot handler = [&mailbox](const Event& event) { mailbox.post(event); };
  const auto origin = Clock::now();
  auto connection = dialer->dial(args.entry, std::move(options), std::move(handler));
  if (!connection) return report(connection.error(), "cannot dial " + args.entry);

  LoopSettings settings;
  settings.live_id = connection->status().device.native_id;
  if (!settings.live_id.empty())
    if (!args.quiet) note("dialling " + args.entry + " on " + dialer->backend_name() + " as " + settings.live_id);
  settings.record = recorder.get();
  settings.json = args.json;
  settings.quiet = args.quiet;
  settings.live_line = !args.json && !args.quiet;
  settings.hangup_after = args.hangup_after;
  settings.callback = args.callback;
  settings.user = args.user.value_or("");
  settings.passwords_given = password_given ? 1 : 0;
  DialLoop loop(*connection, mailbox, input, std::move(settings), origin);
  return loop.run();
}

int run_hangup(const GlobalOptions& global, const std::string& target,
               const std::optional<std::string>& backend) {
  Runtime runtime(runtime_options(global));
  auto chosen = choose_dialers(runtime, backend);
  if (!chosen) return report(chosen.error(), "cannot use backend " + backend.value_or("(default)"));
  auto live = live_connections(*chosen);
  if (!live) return report(live.error(), "cannot list the connections of " + names_of(chosen->dialers));
  const auto targets = matching(*live, target);
  if (targets.empty())
    return report(make_error(Errc::unknown_entry, "no live connection has the id or entry \"" + target + "\" (on " +
                                                      names_of(chosen->dialers) + ")"),
                  "cannot hang up");
  int code = to_int(ExitCode::ok);
  for (const auto& [dialer, c] : targets) {
    if (auto done = dialer->hangup(c.id); !done) {
      code = report(done.error(), "cannot hang up " + c.id + " (" + c.entry + ") on " + dialer->backend_name());
      continue;
    }
    emit("hung up " + c.id + " (" + c.entry + ") on " + dialer->backend_name());
  }
  return code;
}

int run_status(const GlobalOptions& global, const std::optional<std::string>& target,
               const std::optional<std::string>& backend, bool json) {
  Runtime runtime(runtime_options(global));
  auto chosen = choose_dialers(runtime, backend);
  if (!chosen) return report(chosen.error(), "cannot use backend " + backend.value_or("(default)"));
  auto live = live_connections(*chosen);
  if (!live) return report(live.error(), "cannot list the connections of " + names_of(chosen->dialers));
  auto shown = target ? matching(*live, *target) : *live;
  if (target && shown.empty())
    return report(make_error(Errc::unknown_entry, "no live connection has the id or entry \"" + *target + "\" (on " +
                                                      names_of(chosen->dialers) + ")"),
                  "status");
  if (json) {
    for (const auto& [dialer, c] : shown) emit(live_state_json(dialer->backend_name(), c));
    return to_int(ExitCode::ok);
  }
  if (shown.empty()) {
    emit("No live connections on " + names_of(chosen->dialers) + ".");
    return to_int(ExitCode::ok);
  }
  std::vector<std::vector<std::string>> rows{{"BACKEND", "ID", "ENTRY", "STATE", "GROUP", "STARTED"}};
  for (const auto& [dialer, c] : shown) rows.push_back(live_state_row(dialer->backend_name(), c));
  std::cout << format_table(rows);
  std::cout << std::flush;
  return to_int(ExitCode::ok);
}

int run_watch(const GlobalOptions& global, const std::optional<std::string>& backend, bool json) {
  Runtime runtime(runtime_options(global));
  auto chosen = choose_dialers(runtime, backend);
  if (!chosen) return report(chosen.error(), "cannot use backend " + backend.value_or("(default)"));
  Mailbox mailbox;
  std::vector<Watch> watches;
  std::vector<Dialer> watched;
  std::optional<Error> failure;
  for (auto& dialer : chosen->dialers) {
    auto watch = dialer.watch([&mailbox](const Event& event) { mailbox.post(event); });
    if (!watch) {
      if (chosen->dialers.size() == 1) return report(watch.error(), "cannot watch " + dialer.backend_name());
      note("skipped " + dialer.backend_name() + ": cannot watch it: " + watch.error().message());
      failure = watch.error();
      continue;
    }
    watches.push_back(std::move(*watch));
    watched.push_back(dialer);
  }
  if (watches.empty()) return report(*failure, "cannot watch " + names_of(chosen->dialers));
  const auto origin = Clock::now();
  // Scripts (and the tests) wait for this line before they start what they want to see.
  note("watching " + names_of(watched) + "; Ctrl-C stops");
  const auto show = [&](const Event& event) {
    emit(json ? event_to_json(event, origin) : format_event(event, origin, {.show_connection = true}));
  };
  while (!asked_to_stop()) {
    while (auto event = mailbox.take()) show(*event);
    mailbox.wait(std::nullopt);
  }
  while (auto event = mailbox.take()) show(*event);
  for (auto& watch : watches) watch.stop();
  return to_int(ExitCode::ok);
}

int run_replay(const GlobalOptions& global, const std::string& trace_path, bool json,
               bool real_time) {
  // Read it here first: a bad trace is the user's mistake, named with file and line.
  const auto trace = read_trace(trace_path);
  if (!trace) return report(trace.error(), "cannot replay " + trace_path);
  std::error_code ec;
  const auto absolute = fs::absolute(trace_path, ec);
  const std::string entry = "trace:" + (ec ? trace_path : absolute.string());

  RuntimeOptions options = runtime_options(global);
  std::shared_ptr<VirtualScheduler> virtual_time;
  if (!real_time) {
    // Without --real-time the trace runs in virtual time: at once, with its recorded times.
    virtual_time = std::make_shared<VirtualScheduler>();
    options.scheduler = virtual_time;
    options.delivery = RuntimeOptions::Delivery::inline_delivery;
  }
  Runtime runtime(std::move(options));
  auto dialer = mock_dialer(runtime);
  if (!dialer) return report(dialer.error(), "cannot use the mock backend");

  DialOptions dial_options;
  dial_options.handle_paused_states = true;  // the replayed trace resumes its own pauses
  Mailbox mailbox;
  const auto origin = runtime.scheduler().now();
  auto connection = dialer->dial(entry, std::move(dial_options),
                                 [&mailbox](const Event& event) { mailbox.post(event); });
  if (!connection) return report(connection.error(), "cannot replay " + trace_path);

  InputSource no_input = InputSource::from_stdin(false);
  LoopSettings settings;
  settings.json = json;
  settings.answer_pauses = false;
  if (real_time) {
    DialLoop loop(*connection, mailbox, no_input, std::move(settings), origin);
    return loop.run();
  }
  virtual_time->run_until_idle();
  // The mock ends a truncated trace itself; should a replay still be up once the virtual clock
  // has nothing left to run, end it the way the user would have rather than wait forever.
  if (!connection->ended()) {
    (void)connection->hangup();
    virtual_time->run_until_idle();
  }
  DialLoop loop(*connection, mailbox, no_input, std::move(settings), origin);
  return loop.run();
}

}  // namespace dialkit::cli
