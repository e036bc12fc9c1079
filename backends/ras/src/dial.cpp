// A RAS dial and its session. Threading, per the RasDial documentation:
// - the RasDialFunc2 notifier runs on a RAS thread while the dial is suspended, so it only
//   queues what it got and wakes the dial's own worker thread; it never calls RasDial;
// - the worker maps, reports, resumes paused states with a second RasDial on the same handle,
//   hangs up after an error notification, and, once connected, watches for a drop
//   (RasConnectionNotification on its wake event, plus polling as a fallback);
// - hangup() runs on core's thread: RasHangUp, then RasGetConnectStatus until
//   ERROR_INVALID_HANDLE (bounded), reporting `disconnecting` meanwhile.
// No lock of this file is held while reporting: with inline delivery a subscriber may call
// resume() or hangup() straight back.
#include "dial.hpp"

#include <deque>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include <dialkit/report_gate.hpp>
#include <dialkit/shared_session.hpp>

#include "mapping.hpp"
#include "text.hpp"

namespace dialkit::ras {
namespace {

class DialCore;

// RASDIALPARAMS.dwCallbackId carries a number, not a pointer: a notification that arrives
// after its dial was destroyed finds nothing and is told to stop.
struct CallbackRegistry {
  std::mutex mutex;
  std::map<ULONG_PTR, std::weak_ptr<DialCore>> dials;
  ULONG_PTR next = 1;
};
CallbackRegistry& callbacks() {
  static auto* registry = new CallbackRegistry;  // never destroyed: RAS threads may outlive statics
  return *registry;
}

DWORD WINAPI on_ras_notification(ULONG_PTR id, DWORD subentry, HRASCONN handle, UINT message,
                                 RASCONNSTATE state, DWORD error, DWORD extended);

// What a notification said that the worker uses (the handle is the dial's own; the extended
// error adds nothing RasGetErrorString does not say).
struct Note {
  DWORD subentry = 0;
  DWORD state = 0;
  DWORD error = 0;
};

// What a resume changes in RASDIALPARAMS (the fields it gives), converted on the caller's
// thread; `eap` runs RasInvokeEapUI first. Terminal input changes nothing.
struct ResumeCommand {
  std::optional<Wide> user, password, domain, callback_number;
  bool eap = false;
  ~ResumeCommand() {
    if (password) secure_wipe(password->data(), password->size() * sizeof(WideChar));
  }
  ResumeCommand() = default;
  ResumeCommand(ResumeCommand&&) = default;
  ResumeCommand& operator=(ResumeCommand&&) = default;
};

enum class Phase { starting, dialing, paused, connected, ended };

class DialCore : public std::enable_shared_from_this<DialCore> {
 public:
  DialCore(RasApi api, Settings settings, std::shared_ptr<HandleBook> book, std::shared_ptr<Reporter> reporter,
           BackendFailure failed)
      : api_(std::move(api)),
        settings_(std::move(settings)),
        book_(std::move(book)),
        reporter_(std::move(reporter)),
        failed_(std::move(failed)),
        phonebook_(to_wide(settings_.phonebook)),
        wake_(api_.create_event()) {}

  ~DialCore() {
    secure_wipe(&params_, sizeof params_);
    if (wake_) api_.close_event(wake_);
  }
  DialCore(const DialCore&) = delete;
  DialCore& operator=(const DialCore&) = delete;

  Result<void> prepare(const DialRequest& request) {
    if (!wake_) return fail(make_error(Errc::system_error, "cannot create an event"));
    params_.dwSize = sizeof params_;
    ext_.dwSize = sizeof ext_;
    entry_ = request.entry;
    // RAS honours both numbers (RASDIALPARAMS); a value longer than its field is refused, named,
    // before RasDial is called.
    const auto too_long = [](const char* what, std::size_t limit) {
      return fail(make_error(Errc::invalid_argument, std::string(what) + " is longer than RAS takes (" +
                                                         std::to_string(limit - 1) + " characters)"));
    };
    if (!copy_text(params_.szEntryName, to_wide(request.entry)))
      return too_long("the entry name", std::size(params_.szEntryName));
    if (request.phone_number && !copy_text(params_.szPhoneNumber, to_wide(*request.phone_number)))
      return too_long("the phone number (--phone)", std::size(params_.szPhoneNumber));
    if (request.callback_number) {
      if (!copy_text(params_.szCallbackNumber, to_wide(*request.callback_number)))
        return too_long("the callback number (--callback)", std::size(params_.szCallbackNumber));
    } else if (request.handle_paused_states) {
      // "*" asks the server to let the caller set the number: the CallbackSetByCaller pause.
      (void)copy_text(params_.szCallbackNumber, to_wide("*"));
    }
    if (request.credentials) {
      if (!copy_text(params_.szUserName, to_wide(request.credentials->user)))
        return too_long("the user name", std::size(params_.szUserName));
      if (!copy_text(params_.szDomain, to_wide(request.credentials->domain)))
        return too_long("the domain", std::size(params_.szDomain));
      Wide password = to_wide(request.credentials->password.reveal());
      const bool fits = copy_text(params_.szPassword, password);
      secure_wipe(password.data(), password.size() * sizeof(WideChar));
      if (!fits) return too_long("the password", std::size(params_.szPassword));
    }
    if (request.handle_paused_states) ext_.dwfOptions |= RDEOPT_PausedStates;
    return {};
  }

  // Starts the worker, then RasDial. On failure no event was reported and no thread is left.
  Result<void> start() {
    {
      auto& registry = callbacks();
      std::lock_guard lock(registry.mutex);
      callback_id_ = registry.next++;
      registry.dials[callback_id_] = weak_from_this();
    }
    params_.dwCallbackId = callback_id_;
    // An exception that escapes the worker must not end the user's process: RAS lets go of the
    // connection first (abandon()), then core is told (BackendContext::failed).
    worker_ = plugin::start_dial_thread(shared_from_this(), failed_, "the RAS dial thread of \"" + entry_ + "\"");

    HRASCONN handle = nullptr;
    const DWORD rc = api_.dial(&ext_, phonebook(), &params_, notifier_type_func2,
                               reinterpret_cast<LPVOID>(&on_ras_notification), &handle);
    if (rc != ERROR_SUCCESS) {
      // The docs: a handle RasDial stored must be hung up even when RasDial failed.
      if (handle) hang_up_and_wait(api_, handle, settings_);
      stop_worker();
      worker_.join();
      unregister();
      return fail(ras_error(api_, rc, "RasDial"));
    }
    book_->add(handle);
    {
      std::lock_guard lock(mutex_);
      handle_ = handle;
      cached_status_.native_id = handle_id(handle);  // what live_connections() lists for it
      phase_ = Phase::dialing;
    }
    api_.set_event(wake_);
    return {};
  }

  // On a RAS thread, the dial suspended: queue and return at once.
  DWORD on_notification(DWORD subentry, DWORD state, DWORD error) {
    {
      std::lock_guard lock(mutex_);
      if (ending_) return 0;  // hanging up or ended: no more notifications wanted
      notes_.push_back(Note{subentry, state, error});
      // An error, or the end, is the last notification this dial wants.
      if (error != ERROR_SUCCESS || state == RASCS_Disconnected) ending_ = true;
    }
    api_.set_event(wake_);
    return ending_now() ? 0 : 1;
  }

  Result<void> resume(const ResumeInput& input) {
    ResumeCommand command;
    if (const auto* c = std::get_if<Credentials>(&input)) {
      command.user = to_wide(c->user);
      command.password = to_wide(c->password.reveal());
      command.domain = to_wide(c->domain);
      if (command.user->size() > UNLEN || command.password->size() > PWLEN || command.domain->size() > DNLEN)
        return fail(make_error(Errc::invalid_argument, "the credentials are too long for RAS"));
    } else if (const auto* n = std::get_if<CallbackNumber>(&input)) {
      command.callback_number = to_wide(n->number);
      if (command.callback_number->empty() || command.callback_number->size() > RAS_MaxCallbackNumber)
        return fail(make_error(Errc::invalid_argument, "the callback number is empty or too long for RAS"));
    } else if (const auto* p = std::get_if<NewPassword>(&input)) {
      command.password = to_wide(p->password.reveal());
      if (command.password->size() > PWLEN)
        return fail(make_error(Errc::invalid_argument, "the new password is too long for RAS"));
    } else {
      command.eap = std::holds_alternative<EapInput>(input);
    }
    {
      std::lock_guard lock(mutex_);
      if (phase_ != Phase::paused || ending_)
        return fail(make_error(Errc::invalid_state, "the RAS dial is not paused"));
      resume_ = std::move(command);
      phase_ = Phase::dialing;  // one resume per pause
    }
    api_.set_event(wake_);
    return {};
  }

  void hangup() {
    bool had_handle = false;
    {
      std::lock_guard lock(mutex_);
      if (gate_.is_closed()) return;
      (void)gate_.close_without_waiting();  // no report of the worker starts any more
      ending_ = true;
      had_handle = handle_ != nullptr;
      phase_ = Phase::ended;
    }
    // A report of the worker already on its way to core goes first: after `disconnecting` it
    // would be an illegal transition. Session::hangup() may wait for the backend's threads
    // (backend.hpp); the gate never waits for this thread's own report (a slot delivered inline
    // that hangs up from inside it).
    gate_.close();
    if (had_handle) {
      reporter_->report({.state = State::disconnecting, .native_code = native_none, .native_name = "RasHangUp",
                         .reason = "local hang-up"});
    }
    refresh_status();
    release_handle();
    reporter_->report(disconnected_report("local hang-up"));
    stop_worker();
  }

  SessionStatus status() const {
    refresh_status();
    std::lock_guard lock(mutex_);
    return cached_status_;
  }

  // Core dropped the session (plugin::SharedSession): stop the worker and release the handle if
  // the dial still holds one (a session dropped without hangup()). Dropped from a subscriber
  // running on the worker itself, the worker is not joined (the BackendThread lets it go): it
  // ends on its own.
  void drop() {
    stop_worker();
    worker_.join();
    release_handle();
    unregister();
  }

  // The worker (plugin::start_dial_thread) threw: nothing more is reported; RAS lets go of the
  // connection.
  void abandon() {
    stop_worker();
    (void)gate_.close_without_waiting();
    unregister();
    release_handle();
  }

  // The worker's loop.
  void run() {
    for (;;) {
      std::deque<Note> notes;
      std::optional<ResumeCommand> command;
      Phase phase{};
      {
        std::lock_guard lock(mutex_);
        if (stop_) return;
        if (phase_ != Phase::starting) {
          notes.swap(notes_);
          if (resume_) command.emplace(std::move(*resume_));
          resume_.reset();
        }
        phase = phase_;
      }
      for (const auto& note : notes) process(note);
      if (command) do_resume(*command);
      if (phase == Phase::connected) check_link();
      {
        std::lock_guard lock(mutex_);
        if (stop_) return;
        if (phase_ != Phase::starting && (!notes_.empty() || resume_)) continue;
        phase = phase_;
      }
      // The event is auto-reset and set after every push, so nothing pushed after the check
      // above can be missed. Connected: wake up now and then to poll the link.
      api_.wait_event(wake_, phase == Phase::connected
                                 ? static_cast<DWORD>(settings_.watch_interval.count())
                                 : INFINITE);
    }
  }

 private:
  void stop_worker() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    api_.set_event(wake_);
  }

  void unregister() {
    auto& registry = callbacks();
    std::lock_guard lock(registry.mutex);
    registry.dials.erase(callback_id_);
  }

  LPCWSTR phonebook() const { return phonebook_.empty() ? nullptr : phonebook_.c_str(); }

  bool ending_now() {
    std::lock_guard lock(mutex_);
    return ending_;
  }

  HRASCONN handle() const {
    std::lock_guard lock(mutex_);
    return handle_;
  }

  void process(const Note& note) {
    {
      std::lock_guard lock(mutex_);
      if (phase_ == Phase::ended) return;
    }
    const std::string native_name = ras_state_name(note.state);
    if (note.error != ERROR_SUCCESS) {
      end_with(ras_error(api_, note.error, "in " + native_name));
      return;
    }
    const auto state = state_for_ras(note.state);
    if (!state) return;  // a value the table does not know: nothing true to report
    if (*state == State::disconnected) {
      end_with(error_from_status("RAS reported RASCS_Disconnected"));
      return;
    }
    refresh_status();
    {
      std::lock_guard lock(mutex_);
      last_subentry_ = note.subentry;
      phase_ = is_paused(*state) ? Phase::paused : *state == State::connected ? Phase::connected : Phase::dialing;
    }
    if (*state == State::connected && api_.connection_notification) {
      // Wakes the worker when the link drops; polling covers a notification that never comes.
      if (HRASCONN h = handle()) (void)api_.connection_notification(h, wake_, RASCN_Disconnection);
    }
    if (*state == State::connected && !reported_any_) {
      // A reference to a connection that is already up: RAS notifies Connected at once, but
      // core's rule 2 wants a running state first. opening_port, marked as ours, says the
      // dial began without inventing a RAS state.
      report({.state = State::opening_port,
              .native_code = native_none,
              .native_name = "RasDial (shared connection)",
              .reason = "the entry is already connected; RAS added a reference to it"});
    }
    NativeReport r{.state = *state, .native_code = note.state, .native_name = native_name};
    if (note.subentry != 0 && !is_terminal(*state)) r.subentry = note.subentry;
    report(std::move(r));
  }

  void do_resume(ResumeCommand& command) {
    HRASCONN h = handle();
    if (!h) return;
    if (command.user) copy_text(params_.szUserName, *command.user);
    if (command.password) copy_text(params_.szPassword, *command.password);
    if (command.domain) copy_text(params_.szDomain, *command.domain);
    if (command.callback_number) copy_text(params_.szCallbackNumber, *command.callback_number);
    if (command.eap) {
      if (!api_.invoke_eap_ui) {
        end_with(make_error(Errc::not_supported, "RasInvokeEapUI is not available"));
        return;
      }
      DWORD subentry = 0;
      {
        std::lock_guard lock(mutex_);
        subentry = last_subentry_;
      }
      if (const DWORD rc = api_.invoke_eap_ui(h, subentry, &ext_, nullptr); rc != ERROR_SUCCESS) {
        end_with(ras_error(api_, rc, "RasInvokeEapUI"));
        return;
      }
    }
    // The same handle, notifier and parameters, from this thread (never from the notifier).
    HRASCONN same = h;
    const DWORD rc = api_.dial(&ext_, phonebook(), &params_, notifier_type_func2,
                               reinterpret_cast<LPVOID>(&on_ras_notification), &same);
    if (rc != ERROR_SUCCESS) end_with(ras_error(api_, rc, "resuming with RasDial"));
  }

  // Connected: has the link dropped? Reads the status while the handle still tells why.
  void check_link() {
    HRASCONN h = handle();
    if (!h) return;
    RASCONNSTATUSW s = empty_status();
    const DWORD rc = api_.get_connect_status(h, &s);
    if (rc == ERROR_INVALID_HANDLE) {
      // Hung up by someone else (rasdial /disconnect, `dialkit hangup`): nothing left to release.
      {
        std::lock_guard lock(mutex_);
        handle_ = nullptr;
      }
      book_->release(h);
      end_with(make_error(Errc::link_dropped, ERROR_INVALID_HANDLE, "ERROR_INVALID_HANDLE",
                          "the connection was hung up outside this dial"));
      return;
    }
    if (rc != ERROR_SUCCESS) return;
    if (s.rasconnstate == RASCS_Disconnected || s.dwError != ERROR_SUCCESS) {
      {
        std::lock_guard lock(mutex_);
        fill_status(cached_status_, s);
      }
      end_with(s.dwError != ERROR_SUCCESS
                   ? ras_error(api_, s.dwError, "the link dropped")
                   : make_error(Errc::link_dropped, RASCS_Disconnected, "RASCS_Disconnected",
                                "RAS reports RASCS_Disconnected without an error"));
    }
  }

  Error error_from_status(std::string_view context) {
    HRASCONN h = handle();
    RASCONNSTATUSW s = empty_status();
    if (h && api_.get_connect_status(h, &s) == ERROR_SUCCESS && s.dwError != ERROR_SUCCESS)
      return ras_error(api_, s.dwError, context);
    return make_error(Errc::connect_failed, std::string(context) + " without an error");
  }

  // Ends the dial on the worker: capture the status, release the handle, then report.
  void end_with(Error error) {
    {
      std::lock_guard lock(mutex_);
      if (phase_ == Phase::ended) return;
      phase_ = Phase::ended;
      ending_ = true;
    }
    refresh_status();
    release_handle();
    report(disconnected_report("", std::move(error)));
  }

  void refresh_status() const {
    HRASCONN h = handle();
    if (!h) return;
    RASCONNSTATUSW s = empty_status();
    if (api_.get_connect_status(h, &s) != ERROR_SUCCESS) return;
    std::lock_guard lock(mutex_);
    fill_status(cached_status_, s);
  }

  void release_handle() {
    std::lock_guard release_lock(release_mutex_);  // a second caller waits until it is done
    HRASCONN h = nullptr;
    {
      std::lock_guard lock(mutex_);
      h = std::exchange(handle_, nullptr);
    }
    if (!h) return;
    if (book_->release(h) > 0) {
      api_.hang_up(h);  // another dial of ours still holds the connection: drop our reference
      return;
    }
    (void)hang_up_and_wait(api_, h, settings_);  // a handle still valid at the limit is given up
  }

  // Reports from the worker are dropped once hangup() took over (it reports the end itself).
  void report(NativeReport r) {
    plugin::ReportGate::Pass pass(gate_);
    if (!pass) return;
    {
      std::lock_guard lock(mutex_);
      reported_any_ = true;
    }
    reporter_->report(std::move(r));
  }

  const RasApi api_;
  const Settings settings_;
  const std::shared_ptr<HandleBook> book_;
  const std::shared_ptr<Reporter> reporter_;
  const BackendFailure failed_;
  const Wide phonebook_;
  const HANDLE wake_;
  // Written before the worker starts, then only by the worker.
  std::string entry_;
  RASDIALPARAMSW params_{};
  RASDIALEXTENSIONS ext_{};
  ULONG_PTR callback_id_ = 0;

  mutable std::mutex mutex_;
  std::mutex release_mutex_;
  HRASCONN handle_ = nullptr;
  Phase phase_ = Phase::starting;
  std::deque<Note> notes_;
  std::optional<ResumeCommand> resume_;
  DWORD last_subentry_ = 0;
  bool ending_ = false;
  bool stop_ = false;
  bool reported_any_ = false;
  mutable SessionStatus cached_status_;
  // Closed by hangup() (it reports the end itself) and when the worker threw: nothing of the
  // worker is reported after that.
  plugin::ReportGate gate_;
  // Started by start(), joined by drop() (or by start() when RasDial fails).
  BackendThread worker_;
};

DWORD WINAPI on_ras_notification(ULONG_PTR id, DWORD subentry, HRASCONN /*handle*/, UINT /*message*/,
                                 RASCONNSTATE state, DWORD error, DWORD /*extended*/) {
  std::shared_ptr<DialCore> dial;
  {
    auto& registry = callbacks();
    std::lock_guard lock(registry.mutex);
    if (const auto it = registry.dials.find(id); it != registry.dials.end()) dial = it->second.lock();
  }
  if (!dial) return 0;  // a dial we no longer track: stop its notifications
  return dial->on_notification(subentry, static_cast<DWORD>(state), error);
}

}  // namespace

Result<std::unique_ptr<Session>> start_dial(const RasApi& api, const Settings& settings,
                                            std::shared_ptr<HandleBook> book, const DialRequest& request,
                                            std::shared_ptr<Reporter> reporter, BackendFailure failed) {
  auto core = std::make_shared<DialCore>(api, settings, std::move(book), std::move(reporter), std::move(failed));
  if (auto prepared = core->prepare(request); !prepared) return fail(prepared.error());
  if (auto started = core->start(); !started) return fail(started.error());
  return std::unique_ptr<Session>(new plugin::SharedSession(std::move(core)));
}

}  // namespace dialkit::ras
