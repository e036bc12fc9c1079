// The RAS backend's logic (see backend.hpp). Threading, per the RasDial documentation:
// - the RasDialFunc2 notifier runs on a RAS thread while the dial is suspended, so it only
//   queues what it got and wakes the dial's own worker thread; it never calls RasDial;
// - the worker maps, reports, resumes paused states with a second RasDial on the same handle,
//   hangs up after an error notification, and, once connected, watches for a drop
//   (RasConnectionNotification on its wake event, plus polling as a fallback);
// - hangup() runs on core's thread: RasHangUp, then RasGetConnectStatus until
//   ERROR_INVALID_HANDLE (bounded), reporting `disconnecting` meanwhile.
// No lock of this file is held while reporting: with inline delivery a subscriber may call
// resume() or hangup() straight back.
#include "backend.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "mapping.hpp"

namespace dialkit::ras {
namespace {

using Wide = std::basic_string<WideChar>;
using SteadyClock = std::chrono::steady_clock;

constexpr std::int64_t native_disconnected = 0x2001;
constexpr std::int64_t native_none = -1;  // `disconnecting` has no RAS value

template <std::size_t N>
bool copy_text(WideChar (&to)[N], const Wide& from) {
  if (from.size() >= N) return false;
  std::copy(from.begin(), from.end(), to);
  to[from.size()] = 0;
  return true;
}

template <std::size_t N>
std::string text_of(const WideChar (&from)[N]) {
  return to_utf8(from, N);
}

template <class T>
void wipe(T& object) noexcept {
  secure_wipe(&object, sizeof object);
}

std::string error_text(const RasApi& api, DWORD code) {
  if (!api.get_error_string) return {};
  WideChar text[512]{};
  if (api.get_error_string(code, text, 512) != ERROR_SUCCESS) return {};
  return text_of(text);
}

Error ras_error(const RasApi& api, DWORD code, std::string_view context) {
  return make_ras_error(code, error_text(api, code), context);
}

RASCONNSTATUSW empty_status() {
  RASCONNSTATUSW s{};
  s.dwSize = sizeof s;
  return s;
}

void fill_status(SessionStatus& out, const RASCONNSTATUSW& s) {
  out.device_type = text_of(s.szDeviceType);
  out.device_name = text_of(s.szDeviceName);
  out.phone_number = text_of(s.szPhoneNumber);
}

// RasHangUp, then RasGetConnectStatus until the connection object is gone. True if it went
// within the limit; false if it did not (wine's stub, a stuck port): the handle is given up
// either way, since RAS offers nothing else to do with it.
bool hang_up_and_wait(const RasApi& api, HRASCONN handle, const Settings& settings) {
  api.hang_up(handle);
  const auto deadline = SteadyClock::now() + settings.hangup_limit;
  for (;;) {
    RASCONNSTATUSW s = empty_status();
    if (api.get_connect_status(handle, &s) == ERROR_INVALID_HANDLE) return true;
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(settings.poll_interval);
  }
}

// RAS reference-counts connections: dialling an entry that is up returns the same handle.
// The book counts this backend's references, so that only the last hang-up waits for the
// handle to die (the earlier ones only drop their reference, as RAS does).
class HandleBook {
 public:
  void add(HRASCONN h) {
    std::lock_guard lock(mutex_);
    ++refs_[h];
  }
  // The references left after dropping one.
  int release(HRASCONN h) {
    std::lock_guard lock(mutex_);
    const auto it = refs_.find(h);
    if (it == refs_.end()) return 0;
    const int left = --it->second;
    if (left <= 0) refs_.erase(it);
    return std::max(left, 0);
  }
  bool contains(HRASCONN h) const {
    std::lock_guard lock(mutex_);
    return refs_.count(h) != 0;
  }

 private:
  mutable std::mutex mutex_;
  std::map<HRASCONN, int> refs_;
};

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

struct Note {
  DWORD subentry = 0;
  DWORD state = 0;
  DWORD error = 0;
  DWORD extended = 0;
  HRASCONN handle = nullptr;
};

// What a resume changes in RASDIALPARAMS, converted on the caller's thread.
struct ResumeCommand {
  enum class Kind { credentials, callback_number, new_password, eap, terminal_done } kind{};
  Wide user, password, domain, number;
  ~ResumeCommand() {
    secure_wipe(password.data(), password.size() * sizeof(WideChar));
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
    wipe(params_);
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
  Result<void> start(std::thread& worker) {
    {
      auto& registry = callbacks();
      std::lock_guard lock(registry.mutex);
      callback_id_ = registry.next++;
      registry.dials[callback_id_] = weak_from_this();
    }
    params_.dwCallbackId = callback_id_;
    // An exception that escapes the worker (out of memory, a bug of ours) must not end the
    // user's process: the connection is hung up first, then core is told
    // (BackendContext::failed), which ends the dial with backend_failed.
    worker = std::thread([self = shared_from_this()] {
      run_guarded(self->failed_, "the RAS dial thread of \"" + self->entry_ + "\"", [&self] {
        try {
          self->run();
        } catch (...) {
          self->abandon();
          throw;
        }
      });
    });

    HRASCONN handle = nullptr;
    const DWORD rc = api_.dial(&ext_, phonebook(), &params_, notifier_type_func2,
                               reinterpret_cast<LPVOID>(&on_ras_notification), &handle);
    if (rc != ERROR_SUCCESS) {
      // The docs: a handle RasDial stored must be hung up even when RasDial failed.
      if (handle) hang_up_and_wait(api_, handle, settings_);
      stop_worker();
      worker.join();
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
  DWORD on_notification(DWORD subentry, HRASCONN handle, DWORD state, DWORD error, DWORD extended) {
    {
      std::lock_guard lock(mutex_);
      if (ending_) return 0;  // hanging up or ended: no more notifications wanted
      notes_.push_back(Note{subentry, state, error, extended, handle});
      // An error, or the end, is the last notification this dial wants.
      if (error != ERROR_SUCCESS || state == RASCS_Disconnected) ending_ = true;
    }
    api_.set_event(wake_);
    return ending_now() ? 0 : 1;
  }

  Result<void> resume(const ResumeInput& input) {
    ResumeCommand command;
    if (const auto* c = std::get_if<Credentials>(&input)) {
      command.kind = ResumeCommand::Kind::credentials;
      command.user = to_wide(c->user);
      command.password = to_wide(c->password.reveal());
      command.domain = to_wide(c->domain);
      if (command.user.size() > UNLEN || command.password.size() > PWLEN || command.domain.size() > DNLEN)
        return fail(make_error(Errc::invalid_argument, "the credentials are too long for RAS"));
    } else if (const auto* n = std::get_if<CallbackNumber>(&input)) {
      command.kind = ResumeCommand::Kind::callback_number;
      command.number = to_wide(n->number);
      if (command.number.empty() || command.number.size() > RAS_MaxCallbackNumber)
        return fail(make_error(Errc::invalid_argument, "the callback number is empty or too long for RAS"));
    } else if (const auto* p = std::get_if<NewPassword>(&input)) {
      command.kind = ResumeCommand::Kind::new_password;
      command.password = to_wide(p->password.reveal());
      if (command.password.size() > PWLEN)
        return fail(make_error(Errc::invalid_argument, "the new password is too long for RAS"));
    } else if (std::holds_alternative<EapInput>(input)) {
      command.kind = ResumeCommand::Kind::eap;
    } else {
      command.kind = ResumeCommand::Kind::terminal_done;
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
      std::unique_lock lock(mutex_);
      if (hung_) return;
      hung_ = true;
      ending_ = true;
      had_handle = handle_ != nullptr;
      phase_ = Phase::ended;
      // A report of the worker already on its way to core goes first: after `disconnecting`
      // it would be an illegal transition. Not when the report is this thread's own (a slot
      // delivered inline hangs up from inside it).
      reported_.wait(lock, [&] { return !reporting_ || *reporting_ == std::this_thread::get_id(); });
    }
    if (had_handle) {
      NativeReport r;
      r.state = State::disconnecting;
      r.native_code = native_none;
      r.native_name = "RasHangUp";
      r.reason = "local hang-up";
      reporter_->report(std::move(r));
    }
    refresh_status();
    release_handle();
    NativeReport r;
    r.state = State::disconnected;
    r.native_code = native_disconnected;
    r.native_name = "RASCS_Disconnected";
    r.reason = "local hang-up";
    reporter_->report(std::move(r));
    stop_worker();
  }

  SessionStatus status() const {
    HRASCONN handle = nullptr;
    {
      std::lock_guard lock(mutex_);
      handle = handle_;
    }
    if (handle) {
      RASCONNSTATUSW s = empty_status();
      if (api_.get_connect_status(handle, &s) == ERROR_SUCCESS) {
        std::lock_guard lock(mutex_);
        fill_status(cached_status_, s);
      }
    }
    std::lock_guard lock(mutex_);
    return cached_status_;
  }

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

  // Releases the handle if the dial still holds one (a session dropped without hangup()).
  void release_if_held() { release_handle(); }

 private:
  LPCWSTR phonebook() const { return phonebook_.empty() ? nullptr : phonebook_.c_str(); }

  bool ending_now() {
    std::lock_guard lock(mutex_);
    return ending_;
  }

  HRASCONN handle() const {
    std::lock_guard lock(mutex_);
    return handle_;
  }

  // The worker threw: nothing more is reported; RAS lets go of the connection.
  void abandon() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
      hung_ = true;
    }
    unregister();
    release_handle();
  }

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
      NativeReport first;
      first.state = State::opening_port;
      first.native_code = native_none;
      first.native_name = "RasDial (shared connection)";
      first.reason = "the entry is already connected; RAS added a reference to it";
      report(std::move(first));
    }
    NativeReport r;
    r.state = *state;
    r.native_code = note.state;
    r.native_name = native_name;
    if (note.subentry != 0 && !is_terminal(*state)) r.subentry = note.subentry;
    report(std::move(r));
  }

  void do_resume(ResumeCommand& command) {
    HRASCONN h = handle();
    if (!h) return;
    switch (command.kind) {
      case ResumeCommand::Kind::credentials:
        copy_text(params_.szUserName, command.user);
        copy_text(params_.szPassword, command.password);
        copy_text(params_.szDomain, command.domain);
        break;
      case ResumeCommand::Kind::callback_number:
        copy_text(params_.szCallbackNumber, command.number);
        break;
      case ResumeCommand::Kind::new_password:
        copy_text(params_.szPassword, command.password);
        break;
      case ResumeCommand::Kind::eap: {
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
        break;
      }
      case ResumeCommand::Kind::terminal_done:
        break;
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
      Error e = make_error(Errc::link_dropped, "the connection was hung up outside this dial");
      e.native_code = ERROR_INVALID_HANDLE;
      e.native_text = "ERROR_INVALID_HANDLE";
      end_with(std::move(e));
      return;
    }
    if (rc != ERROR_SUCCESS) return;
    if (s.rasconnstate == RASCS_Disconnected || s.dwError != ERROR_SUCCESS) {
      {
        std::lock_guard lock(mutex_);
        fill_status(cached_status_, s);
      }
      if (s.dwError != ERROR_SUCCESS) {
        end_with(ras_error(api_, s.dwError, "the link dropped"));
      } else {
        // No error code to keep: the native value is the state that ended it.
        Error e = make_error(Errc::link_dropped, "RAS reports RASCS_Disconnected without an error");
        e.native_code = RASCS_Disconnected;
        e.native_text = "RASCS_Disconnected";
        end_with(std::move(e));
      }
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
    NativeReport r;
    r.state = State::disconnected;
    r.native_code = native_disconnected;
    r.native_name = "RASCS_Disconnected";
    r.error = std::move(error);
    report(std::move(r));
  }

  void refresh_status() {
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
    if (!hang_up_and_wait(api_, h, settings_)) {
      std::lock_guard lock(mutex_);
      hangup_timed_out_ = true;
    }
  }

  // Reports from the worker are dropped once hangup() took over (it reports the end itself).
  void report(NativeReport r) {
    {
      std::lock_guard lock(mutex_);
      if (hung_) return;
      reported_any_ = true;
      reporting_ = std::this_thread::get_id();
    }
    reporter_->report(std::move(r));
    {
      std::lock_guard lock(mutex_);
      reporting_.reset();
    }
    reported_.notify_all();
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
  bool hung_ = false;
  std::optional<std::thread::id> reporting_;  // the worker's report in progress, if any
  std::condition_variable reported_;           // a report in progress finished
  bool stop_ = false;
  bool hangup_timed_out_ = false;
  bool reported_any_ = false;
  mutable SessionStatus cached_status_;
};

DWORD WINAPI on_ras_notification(ULONG_PTR id, DWORD subentry, HRASCONN handle, UINT /*message*/,
                                 RASCONNSTATE state, DWORD error, DWORD extended) {
  std::shared_ptr<DialCore> dial;
  {
    auto& registry = callbacks();
    std::lock_guard lock(registry.mutex);
    if (const auto it = registry.dials.find(id); it != registry.dials.end()) dial = it->second.lock();
  }
  if (!dial) return 0;  // a dial we no longer track: stop its notifications
  return dial->on_notification(subentry, handle, static_cast<DWORD>(state), error, extended);
}

class RasSession final : public Session {
 public:
  RasSession(std::shared_ptr<DialCore> core, std::thread worker)
      : core_(std::move(core)), worker_(std::move(worker)) {}
  ~RasSession() override {
    core_->stop_worker();
    if (worker_.joinable()) {
      // Destroyed from a subscriber running on the worker itself: it ends on its own.
      if (worker_.get_id() == std::this_thread::get_id())
        worker_.detach();
      else
        worker_.join();
    }
    core_->release_if_held();
    core_->unregister();
  }
  RasSession(const RasSession&) = delete;
  RasSession& operator=(const RasSession&) = delete;

  Result<void> resume(const ResumeInput& input) override { return core_->resume(input); }
  void hangup() override { core_->hangup(); }
  [[nodiscard]] SessionStatus status() const override { return core_->status(); }

 private:
  std::shared_ptr<DialCore> core_;
  std::thread worker_;
};

struct LiveRow {
  HRASCONN handle;
  std::string entry;
  std::string device;
};

Result<std::vector<LiveRow>> enumerate_connections(const RasApi& api) {
  std::vector<RASCONNW> rows(4);
  for (int round = 0; round < 4; ++round) {
    for (auto& row : rows) row.dwSize = sizeof(RASCONNW);
    DWORD bytes = static_cast<DWORD>(rows.size() * sizeof(RASCONNW));
    DWORD count = 0;
    const DWORD rc = api.enum_connections(rows.data(), &bytes, &count);
    if (rc == ERROR_BUFFER_TOO_SMALL) {
      rows.resize(bytes / sizeof(RASCONNW) + 1);
      continue;  // a connection came up meanwhile: ask again with the size RAS gave
    }
    if (rc != ERROR_SUCCESS) return fail(ras_error(api, rc, "RasEnumConnections"));
    std::vector<LiveRow> out;
    for (DWORD i = 0; i < count && i < rows.size(); ++i)
      out.push_back(LiveRow{rows[i].hrasconn, text_of(rows[i].szEntryName), text_of(rows[i].szDeviceName)});
    return out;
  }
  return fail(make_error(Errc::system_error, "RasEnumConnections kept asking for a larger buffer"));
}

State live_state(const RasApi& api, HRASCONN handle, std::optional<Error>* error = nullptr) {
  RASCONNSTATUSW s = empty_status();
  if (api.get_connect_status(handle, &s) != ERROR_SUCCESS) return State::disconnected;
  if (error && s.dwError != ERROR_SUCCESS) *error = ras_error(api, s.dwError, "the link dropped");
  if (s.dwError != ERROR_SUCCESS) return State::disconnected;
  return state_for_ras(static_cast<std::uint32_t>(s.rasconnstate)).value_or(State::connected);
}

// Watches connections this backend did not dial: RasConnectionNotification on all
// connections where it works, and a poll of RasEnumConnections in any case.
class RasWatch final : public WatchHandle {
 public:
  RasWatch(RasApi api, Settings settings, std::shared_ptr<HandleBook> book, std::shared_ptr<WatchSink> sink,
           BackendFailure failed)
      : api_(std::move(api)),
        settings_(std::move(settings)),
        book_(std::move(book)),
        sink_(std::move(sink)),
        wake_(api_.create_event()) {
    if (api_.connection_notification)
      (void)api_.connection_notification(static_cast<HRASCONN>(INVALID_HANDLE_VALUE), wake_,
                                         RASCN_Connection | RASCN_Disconnection);
    thread_ = std::thread([this, failed = std::move(failed)] {
      run_guarded(failed, "the RAS backend's watch thread", [this] { run(); });
    });
  }
  ~RasWatch() override {
    stop_.store(true);
    api_.set_event(wake_);
    thread_.join();
    api_.close_event(wake_);
  }
  RasWatch(const RasWatch&) = delete;
  RasWatch& operator=(const RasWatch&) = delete;

 private:
  struct Known {
    std::string entry;
    State state;
  };

  void run() {
    while (!stop_.load()) {
      scan();
      api_.wait_event(wake_, static_cast<DWORD>(settings_.watch_interval.count()));
    }
  }

  void scan() {
    auto rows = enumerate_connections(api_);
    if (!rows) return;  // try again at the next wake
    std::map<HRASCONN, bool> present;
    for (const auto& row : *rows) {
      if (book_->contains(row.handle)) continue;  // our own dials report themselves
      present[row.handle] = true;
      std::optional<Error> error;
      const State state = live_state(api_, row.handle, &error);
      const auto it = known_.find(row.handle);
      if (it != known_.end() && it->second.state == state) continue;
      NativeReport r;
      r.state = state;
      r.native_code = state == State::disconnected ? native_disconnected : ras_value(state).value_or(0);
      r.native_name = ras_state_name(static_cast<std::uint32_t>(r.native_code));
      r.error = std::move(error);
      r.reason = it == known_.end() ? "a connection this process did not start" : "";
      known_[row.handle] = Known{row.entry, state};
      sink_->report(handle_id(row.handle), row.entry, std::move(r));
    }
    for (auto it = known_.begin(); it != known_.end();) {
      if (present.count(it->first) != 0) {
        ++it;
        continue;
      }
      if (it->second.state != State::disconnected) {
        NativeReport r;
        r.state = State::disconnected;
        r.native_code = native_disconnected;
        r.native_name = "RASCS_Disconnected";
        r.reason = "the connection ended";
        sink_->report(handle_id(it->first), it->second.entry, std::move(r));
      }
      it = known_.erase(it);
    }
  }

  const RasApi api_;
  const Settings settings_;
  const std::shared_ptr<HandleBook> book_;
  const std::shared_ptr<WatchSink> sink_;
  const HANDLE wake_;
  std::atomic<bool> stop_{false};
  std::map<HRASCONN, Known> known_;  // only the watch thread touches it
  std::thread thread_;
};

class RasBackend final : public Backend {
 public:
  RasBackend(RasApi api, Settings settings, BackendFailure failed)
      : api_(std::move(api)),
        settings_(std::move(settings)),
        failed_(std::move(failed)),
        book_(std::make_shared<HandleBook>()) {}

  Result<std::vector<Entry>> entries() override {
    const Wide phonebook = to_wide(settings_.phonebook);
    std::vector<RASENTRYNAMEW> rows(8);
    for (int round = 0; round < 4; ++round) {
      for (auto& row : rows) row.dwSize = sizeof(RASENTRYNAMEW);
      DWORD bytes = static_cast<DWORD>(rows.size() * sizeof(RASENTRYNAMEW));
      DWORD count = 0;
      const DWORD rc = api_.enum_entries(nullptr, phonebook.empty() ? nullptr : phonebook.c_str(), rows.data(),
                                         &bytes, &count);
      if (rc == ERROR_BUFFER_TOO_SMALL) {
        rows.resize(bytes / sizeof(RASENTRYNAMEW) + 1);
        continue;
      }
      if (rc != ERROR_SUCCESS) return fail(ras_error(api_, rc, "RasEnumEntries"));
      std::vector<Entry> out;
      for (DWORD i = 0; i < count && i < rows.size(); ++i) {
        const std::string book = text_of(rows[i].szPhonebookPath);
        out.push_back(Entry{text_of(rows[i].szEntryName), "ras",
                            book.empty() ? std::string("default phone-book") : "phone-book " + book});
      }
      return out;
    }
    return fail(make_error(Errc::system_error, "RasEnumEntries kept asking for a larger buffer"));
  }

  Result<std::unique_ptr<Session>> dial(const DialRequest& request, std::shared_ptr<Reporter> reporter) override {
    auto core = std::make_shared<DialCore>(api_, settings_, book_, std::move(reporter), failed_);
    if (auto prepared = core->prepare(request); !prepared) return fail(prepared.error());
    std::thread worker;
    if (auto started = core->start(worker); !started) return fail(started.error());
    return std::unique_ptr<Session>(new RasSession(std::move(core), std::move(worker)));
  }

  Result<std::vector<LiveConnection>> live_connections() override {
    auto rows = enumerate_connections(api_);
    if (!rows) return fail(rows.error());
    std::vector<LiveConnection> out;
    for (const auto& row : *rows) {
      LiveConnection c;
      c.id = handle_id(row.handle);
      c.entry = row.entry;
      c.state = live_state(api_, row.handle);
      c.started_here = book_->contains(row.handle);
      c.device = row.device;
      out.push_back(std::move(c));
    }
    return out;
  }

  Result<void> hangup_live(std::string_view id) override {
    const auto handle = handle_from_id(id);
    if (!handle) return fail(make_error(Errc::invalid_argument, "not a RAS connection id: " + std::string(id)));
    RASCONNSTATUSW s = empty_status();
    if (const DWORD rc = api_.get_connect_status(*handle, &s); rc != ERROR_SUCCESS)
      return fail(ras_error(api_, rc, "no such connection: " + std::string(id)));
    if (!hang_up_and_wait(api_, *handle, settings_))
      return fail(make_error(Errc::timeout, "the handle was still valid " +
                                                std::to_string(settings_.hangup_limit.count()) +
                                                " ms after RasHangUp"));
    return {};
  }

  Result<std::unique_ptr<WatchHandle>> watch(std::shared_ptr<WatchSink> sink) override {
    return std::unique_ptr<WatchHandle>(new RasWatch(api_, settings_, book_, std::move(sink), failed_));
  }

 private:
  const RasApi api_;
  const Settings settings_;
  const BackendFailure failed_;
  const std::shared_ptr<HandleBook> book_;
};

bool parse_ms(const std::map<std::string, std::string>& options, const char* key, std::chrono::milliseconds& out,
              std::string& bad) {
  const auto it = options.find(key);
  if (it == options.end()) return true;
  long long value = 0;
  const auto& text = it->second;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0 || value > 3'600'000) {
    bad = std::string(key) + "=" + text;
    return false;
  }
  out = std::chrono::milliseconds(value);
  return true;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

}  // namespace

Result<Settings> settings_from_options(const std::map<std::string, std::string>& options) {
  Settings s;
  if (const auto it = options.find("phonebook"); it != options.end()) s.phonebook = it->second;
  std::string bad;
  if (!parse_ms(options, "poll_ms", s.poll_interval, bad) || !parse_ms(options, "hangup_limit_ms", s.hangup_limit, bad) ||
      !parse_ms(options, "watch_poll_ms", s.watch_interval, bad))
    return fail(make_error(Errc::invalid_argument, "bad ras backend option " + bad));
  if (s.watch_interval.count() == 0) s.watch_interval = std::chrono::milliseconds(1);
  return s;
}

bool is_complete(const RasApi& api) noexcept {
  return api.dial && api.hang_up && api.get_connect_status && api.get_error_string && api.enum_entries &&
         api.enum_connections && api.create_event && api.wait_event && api.set_event && api.close_event;
}

RasFactory::RasFactory() : RasFactory(ApiLoader{}) {}
RasFactory::RasFactory(ApiLoader loader) : loader_(loader ? std::move(loader) : ApiLoader(&load_system_api)) {}

std::string RasFactory::name() const { return std::string(backend_name); }
std::string RasFactory::description() const { return "Windows Remote Access Service (rasapi32.dll)"; }

Capabilities RasFactory::capabilities() const {
  return Capabilities{}
      .with(DialOption::credentials)
      .with(DialOption::phone_number)
      .with(DialOption::callback_number)
      .with(DialOption::multilink)
      .with(DialOption::eap)
      .with_every_pause()
      .with_watch(WatchKind::events)
      .with_hangup_by_id();
}

Result<void> RasFactory::probe() const {
  auto api = loader_();
  if (!api) return fail(api.error());
  if (!is_complete(*api)) return fail(make_error(Errc::backend_unavailable, api->origin + " lacks a RAS function"));
  return {};
}

Result<std::unique_ptr<Backend>> RasFactory::create(const BackendContext& context) {
  auto settings = settings_from_options(context.options);
  if (!settings) return fail(settings.error());
  auto api = loader_();
  if (!api) return fail(api.error());
  if (!is_complete(*api)) return fail(make_error(Errc::backend_unavailable, api->origin + " lacks a RAS function"));
  return std::unique_ptr<Backend>(new RasBackend(std::move(*api), std::move(*settings), context.failed));
}

std::shared_ptr<BackendFactory> make_factory(ApiLoader loader) {
  return std::make_shared<RasFactory>(std::move(loader));
}

std::basic_string<WideChar> to_wide(std::string_view utf8) {
  std::basic_string<WideChar> out;
  out.reserve(utf8.size());
  std::size_t i = 0;
  while (i < utf8.size()) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    char32_t c = 0xFFFD;
    std::size_t extra = 0;
    if (lead < 0x80) {
      c = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      c = lead & 0x1Fu;
      extra = 1;
    } else if ((lead & 0xF0) == 0xE0) {
      c = lead & 0x0Fu;
      extra = 2;
    } else if ((lead & 0xF8) == 0xF0) {
      c = lead & 0x07u;
      extra = 3;
    }
    bool ok = lead < 0x80 || extra != 0;
    for (std::size_t k = 1; ok && k <= extra; ++k) {
      if (i + k >= utf8.size() || (static_cast<unsigned char>(utf8[i + k]) & 0xC0) != 0x80) {
        ok = false;
        extra = k - 1;
        break;
      }
      c = (c << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3Fu);
    }
    if (!ok || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
    i += 1 + extra;
    if (c >= 0x10000) {
      c -= 0x10000;
      out += static_cast<WideChar>(0xD800 + (c >> 10));
      out += static_cast<WideChar>(0xDC00 + (c & 0x3FF));
    } else {
      out += static_cast<WideChar>(c);
    }
  }
  return out;
}

std::string to_utf8(const WideChar* text, std::size_t max_chars) {
  std::string out;
  for (std::size_t i = 0; i < max_chars && text[i] != 0; ++i) {
    char32_t c = static_cast<char16_t>(text[i]);
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < max_chars) {
      const char32_t low = static_cast<char16_t>(text[i + 1]);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
        ++i;
      } else {
        c = 0xFFFD;
      }
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    append_utf8(out, c);
  }
  return out;
}

std::string handle_id(HRASCONN handle) {
  char text[40];
  std::snprintf(text, sizeof text, "ras-0x%llx",
                static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(handle)));
  return text;
}

std::optional<HRASCONN> handle_from_id(std::string_view id) {
  constexpr std::string_view prefix = "ras-0x";
  if (!id.starts_with(prefix) || id.size() == prefix.size()) return std::nullopt;
  std::uintptr_t value = 0;
  const char* first = id.data() + prefix.size();
  const char* last = id.data() + id.size();
  const auto [end, ec] = std::from_chars(first, last, value, 16);
  if (ec != std::errc{} || end != last || value == 0) return std::nullopt;
  return reinterpret_cast<HRASCONN>(value);
}

}  // namespace dialkit::ras
