// The RAS emulator; see emulator.hpp.
#include "emulator.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace rasemu {

Wide widen(std::string_view ascii) {
  Wide out;
  for (char c : ascii) out += static_cast<WCHAR>(static_cast<unsigned char>(c));
  return out;
}

std::string narrow(const WCHAR* text) {
  std::string out;
  for (; text && *text; ++text) out += *text < 0x80 ? static_cast<char>(*text) : '?';
  return out;
}

namespace {

template <std::size_t N>
void put(WCHAR (&to)[N], std::string_view from) {
  const std::size_t n = std::min(from.size(), N - 1);
  for (std::size_t i = 0; i < n; ++i) to[i] = static_cast<WCHAR>(from[i]);
  to[n] = 0;
}

bool is_paused_value(DWORD s) { return s >= 0x1000 && s < 0x2000; }

std::vector<Step> states(std::initializer_list<DWORD> list, DWORD subentry = 0) {
  std::vector<Step> out;
  for (DWORD s : list) out.push_back(Step{s, 0, subentry});
  return out;
}

void append(std::vector<Step>& to, const std::vector<Step>& more) { to.insert(to.end(), more.begin(), more.end()); }

// The common prefix of a modem dial, up to authentication.
std::vector<Step> up_to_authenticate() { return states({0, 1, 2, 3, 4, 5}); }
std::vector<Step> after_authentication() { return states({14, 10, 18, 0x2000}); }

}  // namespace

DWORD error_without_pauses(DWORD paused_state) {
  switch (paused_state) {
    case 0x1000: return ERROR_INTERACTIVE_MODE;
    case 0x1001: return ERROR_AUTHENTICATION_FAILURE;
    case 0x1002: return ERROR_BAD_CALLBACK_NUMBER;
    case 0x1003: return ERROR_PASSWD_EXPIRED;
    default: return ERROR_INVALID_AUTH_STATE;
  }
}

std::vector<std::string> catalogue_entries() {
  return {"ok",        "busy",      "no-answer",         "auth-fail",   "wrong-password",
          "password-expired", "callback", "eap",        "interactive", "multilink",
          "multilink-partial", "slow-hangup", "stuck-hangup", "port-busy"};
}

bool catalogue_script(std::string_view entry, Script& s) {
  s = Script{};
  auto& v = s.steps;
  if (entry == "ok" || entry == "slow-hangup" || entry == "stuck-hangup") {
    v = up_to_authenticate();
    append(v, states({6, 12}));
    append(v, after_authentication());
    if (entry == "slow-hangup") s.polls_to_invalidate = 6;
    if (entry == "stuck-hangup") s.never_invalidate = true;
  } else if (entry == "busy") {
    v = states({0, 1});
    v.push_back(Step{2, ERROR_LINE_BUSY, 0});
  } else if (entry == "no-answer") {
    v = states({0, 1});
    v.push_back(Step{2, ERROR_NO_ANSWER, 0});
  } else if (entry == "auth-fail") {
    v = up_to_authenticate();
    v.push_back(Step{6, ERROR_AUTHENTICATION_FAILURE, 0});
    append(v, after_authentication());  // never reached: the error ends the dial
  } else if (entry == "wrong-password") {
    v = up_to_authenticate();
    append(v, states({6, 0x1001, 7, 5}));
    append(v, after_authentication());
    s.accept_password = "letmein";
  } else if (entry == "password-expired") {
    v = up_to_authenticate();
    append(v, states({0x1003, 9}));
    append(v, after_authentication());
  } else if (entry == "callback") {
    v = up_to_authenticate();
    append(v, states({8, 0x1002, 15, 16, 17, 20, 13}));
    append(v, after_authentication());
  } else if (entry == "eap") {
    v = up_to_authenticate();
    append(v, states({0x1004, 6}));
    append(v, after_authentication());
  } else if (entry == "interactive") {
    v = states({0, 1, 2, 0x1000, 3, 4, 5});
    append(v, after_authentication());
  } else if (entry == "multilink" || entry == "multilink-partial") {
    append(v, states({0, 1, 2, 3}, 1));
    append(v, states({0, 1, 2, 3}, 2));
    append(v, states({4, 5, 14, 10, 18}));
    append(v, states({24, 22}, 1));
    append(v, states({24}, 2));
    v.push_back(Step{entry == "multilink" ? 22u : 23u, 0, 2});
    v.push_back(Step{0x2000, 0, 0});
  } else if (entry == "port-busy") {
    s.dial_error = ERROR_PORT_NOT_AVAILABLE;
    s.handle_on_error = true;
  } else if (entry.starts_with("hold:")) {
    DWORD target = 0;
    const auto text = entry.substr(5);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), target);
    if (ec != std::errc{} || end != text.data() + text.size()) return false;
    if (target != 0) v.push_back(Step{0, 0, 0});
    v.push_back(Step{target, 0, target == 22 || target == 23 ? 1u : 0u});
    if (target != 0x2000 && !is_paused_value(target)) v.push_back(Step{hold, 0, 0});
  } else {
    return false;
  }
  return true;
}

struct Emulator::Conn {
  HRASCONN handle = nullptr;
  std::string entry;
  Script script;
  bool external = false;
  std::size_t next = 0;
  DWORD state = 0;
  DWORD error = 0;
  bool hung = false;
  int polls_left = 0;
  int refs = 1;
  bool paused_states = false;
  bool waiting_resume = false;
  bool resumed = false;
  bool eap_invoked = false;
  bool notify_stopped = false;
  dialkit::ras::DialFunc2 notifier = nullptr;
  ULONG_PTR callback = 0;
  RASDIALPARAMSW params{};
  std::vector<HANDLE> disconnect_events;
};

Emulator::Emulator(SignalEvent signal) : signal_(signal) {}

Emulator::~Emulator() {
  {
    std::lock_guard lock(mutex_);
    for (auto& [h, c] : conns_) c->hung = true;
  }
  changed_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void Emulator::add(const std::string& entry, Script script) {
  std::lock_guard lock(mutex_);
  scripts_[entry] = std::move(script);
}

void Emulator::use_catalogue(bool on) {
  std::lock_guard lock(mutex_);
  catalogue_ = on;
}

bool Emulator::script_for(const std::string& entry, Script& out) const {
  if (const auto it = scripts_.find(entry); it != scripts_.end()) {
    out = it->second;
    return true;
  }
  return catalogue_ && catalogue_script(entry, out);
}

std::shared_ptr<Emulator::Conn> Emulator::find(HRASCONN handle) const {
  const auto it = conns_.find(handle);
  return it == conns_.end() ? nullptr : it->second;
}

bool Emulator::on_notifier_thread() const {
  return std::find(notifier_threads_.begin(), notifier_threads_.end(), std::this_thread::get_id()) !=
         notifier_threads_.end();
}

DWORD Emulator::dial(LPRASDIALEXTENSIONS ext, LPCWSTR /*phonebook*/, LPRASDIALPARAMSW params, DWORD notifier_type,
                     LPVOID notifier, LPHRASCONN handle) {
  if (!params || !handle) return ERROR_INVALID_PARAMETER;
  if (params->dwSize != sizeof(RASDIALPARAMSW) || (ext && ext->dwSize != sizeof(RASDIALEXTENSIONS)))
    return ERROR_INVALID_SIZE;
  std::unique_lock lock(mutex_);
  ++record_.dials;
  if (on_notifier_thread()) {
    // The docs forbid RasDial inside a notifier; make a violation loud.
    ++record_.dials_from_notifier;
    return ERROR_INVALID_FUNCTION;
  }
  if (*handle) {
    auto c = find(*handle);
    if (!c || c->hung) return ERROR_INVALID_HANDLE;
    if (!c->waiting_resume) return 756;  // ERROR_DIAL_ALREADY_IN_PROGRESS
    c->params = *params;
    c->resumed = true;
    ++record_.resumes;
    record_.last_user = narrow(params->szUserName);
    record_.last_password = narrow(params->szPassword);
    record_.last_callback = narrow(params->szCallbackNumber);
    changed_.notify_all();
    return ERROR_SUCCESS;
  }
  if (notifier_type != dialkit::ras::notifier_type_func2 || !notifier) return ERROR_INVALID_PARAMETER;
  const std::string entry = narrow(params->szEntryName);
  record_.last_user = narrow(params->szUserName);
  record_.last_password = narrow(params->szPassword);
  record_.last_callback = narrow(params->szCallbackNumber);
  Script script;
  if (!script_for(entry, script)) return ERROR_CANNOT_FIND_PHONEBOOK_ENTRY;
  const auto fn = reinterpret_cast<dialkit::ras::DialFunc2>(notifier);

  if (script.dial_error != 0) {
    if (script.handle_on_error) {
      auto c = std::make_shared<Conn>();
      c->handle = reinterpret_cast<HRASCONN>(next_handle_ += 0x10);
      c->entry = entry;
      c->script = script;
      c->state = RASCS_Disconnected;
      c->error = script.dial_error;
      conns_[c->handle] = c;
      *handle = c->handle;
    }
    return script.dial_error;
  }

  // Reference-counted: an entry that is up gets the same handle, and Connected at once.
  for (auto& [h, c] : conns_) {
    if (c->entry == entry && !c->hung && !c->external && c->state == RASCS_Connected) {
      ++c->refs;
      *handle = h;
      const ULONG_PTR callback = params->dwCallbackId;
      HRASCONN same = h;
      threads_.emplace_back([this, fn, callback, same] {
        {
          std::lock_guard inner(mutex_);
          notifier_threads_.push_back(std::this_thread::get_id());
          ++record_.notifications;
          record_.notified.push_back(RASCS_Connected);
        }
        fn(callback, 0, same, WM_RASDIALEVENT, RASCS_Connected, 0, 0);
      });
      return ERROR_SUCCESS;
    }
  }

  auto c = std::make_shared<Conn>();
  c->handle = reinterpret_cast<HRASCONN>(next_handle_ += 0x10);
  c->entry = entry;
  c->script = std::move(script);
  c->paused_states = ext && (ext->dwfOptions & RDEOPT_PausedStates) != 0;
  c->notifier = fn;
  c->callback = params->dwCallbackId;
  c->params = *params;
  conns_[c->handle] = c;
  *handle = c->handle;
  threads_.emplace_back([this, c] { walk(c); });
  return ERROR_SUCCESS;
}

void Emulator::notify(std::unique_lock<std::mutex>& lock, Conn& c, DWORD state, DWORD error, DWORD subentry) {
  if (c.notify_stopped) {
    ++record_.suppressed;
    return;
  }
  ++record_.notifications;
  record_.notified.push_back(state);
  const auto fn = c.notifier;
  const auto callback = c.callback;
  const auto handle = c.handle;
  lock.unlock();  // the notifier may call RasGetConnectStatus, RasHangUp, ...
  const DWORD r = fn(callback, subentry, handle, WM_RASDIALEVENT, static_cast<RASCONNSTATE>(state), error, 0);
  lock.lock();
  if (r == 0) {
    ++record_.zero_returns;
    c.notify_stopped = true;
  }
}

void Emulator::walk(const std::shared_ptr<Conn>& conn) {
  Conn& c = *conn;
  std::unique_lock lock(mutex_);
  notifier_threads_.push_back(std::this_thread::get_id());
  while (!c.hung && c.next < c.script.steps.size()) {
    const Step step = c.script.steps[c.next++];
    if (step.state == hold) {
      changed_.wait(lock, [&] { return c.hung; });
      break;
    }
    const bool paused = is_paused_value(step.state);
    if (paused && !c.paused_states) {
      c.error = error_without_pauses(step.state);
      notify(lock, c, c.state, c.error, step.subentry);
      break;
    }
    c.state = step.state;
    c.error = step.error;
    // A paused state accepts the second RasDial from the moment it is reported: the notifier
    // hands over to another thread, which may resume before this thread runs again.
    if (paused) {
      c.waiting_resume = true;
      c.resumed = false;
    }
    notify(lock, c, step.state, step.error, step.subentry);
    if (step.error != 0) break;  // the dial ends; the handle waits for RasHangUp
    if (step.state == RASCS_Connected) {
      signal_global(RASCN_Connection);
      break;
    }
    while (paused && !c.hung) {
      changed_.wait(lock, [&] { return c.hung || c.resumed; });
      c.waiting_resume = false;
      if (c.hung) break;
      const std::string password = narrow(c.params.szPassword);
      const std::string number = narrow(c.params.szCallbackNumber);
      bool accepted = true;
      if (step.state == RASCS_RetryAuthentication || step.state == RASCS_PasswordExpired)
        accepted = !password.empty() && (c.script.accept_password.empty() || password == c.script.accept_password);
      if (step.state == RASCS_CallbackSetByCaller) accepted = !number.empty() && number != "*";
      if (step.state == RASCS_InvokeEapUI && !c.eap_invoked) {
        c.error = ERROR_INVALID_AUTH_STATE;  // resumed without RasInvokeEapUI
        notify(lock, c, c.state, c.error, step.subentry);
        c.next = c.script.steps.size();
        break;
      }
      if (accepted) break;
      // Rejected again: RAS retries authentication and pauses once more.
      c.state = RASCS_AuthRetry;
      notify(lock, c, RASCS_AuthRetry, 0, step.subentry);
      if (c.hung) break;
      c.state = step.state;
      c.waiting_resume = true;
      c.resumed = false;
      notify(lock, c, step.state, 0, step.subentry);
    }
  }
}

void Emulator::signal_disconnection(Conn& c) {
  for (HANDLE e : c.disconnect_events) signal_(e);
  c.disconnect_events.clear();
  signal_global(RASCN_Disconnection);
}

void Emulator::signal_global(DWORD flag) {
  for (const auto& [event, flags] : global_events_)
    if ((flags & flag) != 0) signal_(event);
}

DWORD Emulator::hang_up(HRASCONN handle) {
  std::lock_guard lock(mutex_);
  auto c = find(handle);
  if (!c) return ERROR_INVALID_HANDLE;
  ++record_.hangups;
  if (c->refs > 1) {
    --c->refs;
    return ERROR_SUCCESS;
  }
  if (c->hung) return ERROR_SUCCESS;
  c->hung = true;
  c->state = RASCS_Disconnected;
  c->polls_left = c->script.polls_to_invalidate;
  signal_disconnection(*c);
  changed_.notify_all();
  return ERROR_SUCCESS;
}

DWORD Emulator::get_connect_status(HRASCONN handle, LPRASCONNSTATUSW status) {
  if (!status) return ERROR_INVALID_PARAMETER;
  if (status->dwSize != sizeof(RASCONNSTATUSW)) return ERROR_INVALID_SIZE;
  std::lock_guard lock(mutex_);
  auto c = find(handle);
  if (!c) return ERROR_INVALID_HANDLE;
  if (c->hung && !c->script.never_invalidate) {
    if (c->polls_left <= 0) {
      conns_.erase(handle);  // the connection object is gone
      return ERROR_INVALID_HANDLE;
    }
    --c->polls_left;
  }
  status->rasconnstate = static_cast<RASCONNSTATE>(c->state);
  status->dwError = c->error;
  put(status->szDeviceType, "modem");
  put(status->szDeviceName, "Stand-in Modem (" + c->entry + ")");
  put(status->szPhoneNumber, narrow(c->params.szPhoneNumber).empty() ? "555-0100" : narrow(c->params.szPhoneNumber));
  return ERROR_SUCCESS;
}

DWORD Emulator::get_error_string(UINT code, LPWSTR text, DWORD chars) {
  if (!text) return ERROR_INVALID_PARAMETER;
  if (code < 600 || code > 870) return ERROR_INVALID_PARAMETER;
  std::string message;
  switch (code) {
    case 629: message = "The connection was closed by the remote computer."; break;
    case 648: message = "The password has expired."; break;
    case 676: message = "The line is busy."; break;
    case 678: message = "There is no answer."; break;
    case 691: message = "Access was denied because the user name and/or password was invalid on the domain."; break;
    default: message = "Remote Access error " + std::to_string(code) + "."; break;
  }
  message += " (stand-in)";
  if (chars < message.size() + 1) return ERROR_INSUFFICIENT_BUFFER;
  for (std::size_t i = 0; i < message.size(); ++i) text[i] = static_cast<WCHAR>(message[i]);
  text[message.size()] = 0;
  return ERROR_SUCCESS;
}

DWORD Emulator::enum_entries(LPCWSTR /*reserved*/, LPCWSTR phonebook, LPRASENTRYNAMEW entries, LPDWORD bytes,
                             LPDWORD count) {
  if (!bytes || !count) return ERROR_INVALID_PARAMETER;
  if (phonebook && narrow(phonebook) == "missing.pbk") return ERROR_CANNOT_OPEN_PHONEBOOK;
  if (entries && entries->dwSize != sizeof(RASENTRYNAMEW)) return ERROR_INVALID_SIZE;
  std::vector<std::string> names;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, s] : scripts_) names.push_back(name);
    if (catalogue_)
      for (auto& name : catalogue_entries()) names.push_back(std::move(name));
  }
  const DWORD need = static_cast<DWORD>(names.size() * sizeof(RASENTRYNAMEW));
  *count = static_cast<DWORD>(names.size());
  if (!entries || *bytes < need) {
    *bytes = need;
    return ERROR_BUFFER_TOO_SMALL;
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    entries[i] = {};
    entries[i].dwSize = sizeof(RASENTRYNAMEW);
    put(entries[i].szEntryName, names[i]);
  }
  *bytes = need;
  return ERROR_SUCCESS;
}

DWORD Emulator::enum_connections(LPRASCONNW connections, LPDWORD bytes, LPDWORD count) {
  if (!bytes || !count) return ERROR_INVALID_PARAMETER;
  if (connections && connections->dwSize != sizeof(RASCONNW)) return ERROR_INVALID_SIZE;
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Conn>> live;
  for (const auto& [h, c] : conns_)
    if (!c->hung) live.push_back(c);
  const DWORD need = static_cast<DWORD>(live.size() * sizeof(RASCONNW));
  *count = static_cast<DWORD>(live.size());
  if (live.empty()) {
    *bytes = 0;
    return ERROR_SUCCESS;
  }
  if (!connections || *bytes < need) {
    *bytes = need;
    return ERROR_BUFFER_TOO_SMALL;
  }
  for (std::size_t i = 0; i < live.size(); ++i) {
    connections[i] = {};
    connections[i].dwSize = sizeof(RASCONNW);
    connections[i].hrasconn = live[i]->handle;
    put(connections[i].szEntryName, live[i]->entry);
    put(connections[i].szDeviceType, "modem");
    put(connections[i].szDeviceName, "Stand-in Modem (" + live[i]->entry + ")");
  }
  *bytes = need;
  return ERROR_SUCCESS;
}

DWORD Emulator::connection_notification(HRASCONN handle, HANDLE event, DWORD flags) {
  std::lock_guard lock(mutex_);
  if (notify_mode_ == NotifyMode::refused) return ERROR_INVALID_FUNCTION;  // as wine's stub
  if (notify_mode_ == NotifyMode::silent) return ERROR_SUCCESS;            // accepted, never fires
  if (handle == static_cast<HRASCONN>(INVALID_HANDLE_VALUE)) {
    global_events_.emplace_back(event, flags);
    return ERROR_SUCCESS;
  }
  auto c = find(handle);
  if (!c) return ERROR_INVALID_HANDLE;
  if ((flags & RASCN_Disconnection) != 0) c->disconnect_events.push_back(event);
  return ERROR_SUCCESS;
}

DWORD Emulator::invoke_eap_ui(HRASCONN handle, DWORD /*subentry*/, LPRASDIALEXTENSIONS ext, HWND /*parent*/) {
  std::lock_guard lock(mutex_);
  ++record_.eap_ui_calls;
  auto c = find(handle);
  if (!c || !ext) return ERROR_INVALID_HANDLE;
  if (ext->dwSize != sizeof(RASDIALEXTENSIONS)) return ERROR_INVALID_SIZE;
  if (c->state != RASCS_InvokeEapUI) return ERROR_INVALID_AUTH_STATE;
  c->eap_invoked = true;
  return ERROR_SUCCESS;
}

void Emulator::set_notify_mode(NotifyMode mode) {
  std::lock_guard lock(mutex_);
  notify_mode_ = mode;
}

bool Emulator::drop(HRASCONN handle, DWORD error) {
  std::lock_guard lock(mutex_);
  auto c = find(handle);
  if (!c || c->hung) return false;
  c->state = RASCS_Disconnected;
  c->error = error;
  signal_disconnection(*c);
  return true;
}

HRASCONN Emulator::external_connect(const std::string& entry) {
  std::lock_guard lock(mutex_);
  auto c = std::make_shared<Conn>();
  c->handle = reinterpret_cast<HRASCONN>(next_handle_ += 0x10);
  c->entry = entry;
  c->external = true;
  c->state = RASCS_Connected;
  c->params.dwSize = sizeof(RASDIALPARAMSW);
  conns_[c->handle] = c;
  signal_global(RASCN_Connection);
  return c->handle;
}

bool Emulator::external_disconnect(HRASCONN handle) {
  std::lock_guard lock(mutex_);
  auto c = find(handle);
  if (!c) return false;
  conns_.erase(handle);
  signal_disconnection(*c);
  return true;
}

Record Emulator::record() const {
  std::lock_guard lock(mutex_);
  return record_;
}

int Emulator::live() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(conns_.size());
}

}  // namespace rasemu
