// A RAS emulator: the documented behaviour of rasapi32's dialling functions, scripted per
// phone-book entry. The same code is the fake RasApi table of the Linux tests (fake_api.hpp)
// and the stand-in rasapi32.dll that the Windows tests load under wine (standin/), so both
// layers test the backend against one model of RAS:
// - RasDial is asynchronous; the RasDialFunc2 notifier runs on a thread of the emulator, and a
//   notifier that returns 0 gets no further notifications (for any subentry);
// - with RDEOPT_PausedStates a paused state waits for a second RasDial on the same handle
//   (made from another thread; one made on the notifier thread is refused and counted);
//   without it, the pause becomes the error RAS gives instead;
// - an error notification ends the dial, but the handle stays valid until RasHangUp;
// - after RasHangUp the handle stays valid for a few RasGetConnectStatus calls (or forever,
//   like wine's stub, when the script says so);
// - connections are reference-counted per entry; RasEnumConnections lists them, and
//   RasConnectionNotification signals events on connection and disconnection.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "win32.hpp"

namespace rasemu {

using Wide = std::basic_string<WCHAR>;
Wide widen(std::string_view ascii);
std::string narrow(const WCHAR* text);

// A script step: notify `state` (with `error`, for `subentry`). `hold` stays until hang-up.
inline constexpr DWORD hold = 0xFFFF0000u;
struct Step {
  DWORD state = 0;
  DWORD error = 0;
  DWORD subentry = 0;
};

struct Script {
  std::vector<Step> steps;
  DWORD dial_error = 0;          // RasDial fails at once with this...
  bool handle_on_error = false;  // ...and still stores a handle that must be hung up
  int polls_to_invalidate = 2;   // RasGetConnectStatus calls that still succeed after RasHangUp
  bool never_invalidate = false; // like wine's stub
  std::string accept_password;   // RetryAuthentication / PasswordExpired: the password that passes (empty: any)
};

// The error RAS gives for a paused state when the caller did not ask for paused states.
DWORD error_without_pauses(DWORD paused_state);

// The stand-in's scenarios, by entry name: ok, busy, no-answer, auth-fail, wrong-password,
// password-expired, callback, eap, interactive, multilink, multilink-partial, slow-hangup,
// stuck-hangup, port-busy, and hold:<state> (walks to <state>, decimal, then waits).
bool catalogue_script(std::string_view entry, Script& out);
std::vector<std::string> catalogue_entries();

enum class NotifyMode { working, refused, silent };

struct Record {
  int dials = 0;                 // RasDial calls, new and resume
  int resumes = 0;               // RasDial calls that resumed a paused dial
  int dials_from_notifier = 0;   // refused: RasDial made on a notifier thread
  int hangups = 0;
  int notifications = 0;         // notifier calls
  int zero_returns = 0;          // notifier calls that returned 0
  int suppressed = 0;            // notifications not made because the notifier had returned 0
  int eap_ui_calls = 0;
  std::vector<DWORD> notified;   // states, in order, over all dials
  std::string last_user, last_password, last_callback;
};

class Emulator {
 public:
  using SignalEvent = void (*)(HANDLE);
  explicit Emulator(SignalEvent signal);
  // Hangs up every dial and joins the emulator's threads.
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Scripts: those added here, then (when enabled) the catalogue.
  void add(const std::string& entry, Script script);
  void use_catalogue(bool on);

  // The RAS entry points (W).
  DWORD dial(LPRASDIALEXTENSIONS ext, LPCWSTR phonebook, LPRASDIALPARAMSW params, DWORD notifier_type,
             LPVOID notifier, LPHRASCONN handle);
  DWORD hang_up(HRASCONN handle);
  DWORD get_connect_status(HRASCONN handle, LPRASCONNSTATUSW status);
  DWORD get_error_string(UINT code, LPWSTR text, DWORD chars);
  DWORD enum_entries(LPCWSTR reserved, LPCWSTR phonebook, LPRASENTRYNAMEW entries, LPDWORD bytes, LPDWORD count);
  DWORD enum_connections(LPRASCONNW connections, LPDWORD bytes, LPDWORD count);
  DWORD connection_notification(HRASCONN handle, HANDLE event, DWORD flags);
  DWORD invoke_eap_ui(HRASCONN handle, DWORD subentry, LPRASDIALEXTENSIONS ext, HWND parent);

  // Control, for tests.
  void set_notify_mode(NotifyMode mode);
  // The established link drops: status shows RASCS_Disconnected and `error` until hang-up.
  bool drop(HRASCONN handle, DWORD error);
  // A connection made by another program.
  HRASCONN external_connect(const std::string& entry);
  bool external_disconnect(HRASCONN handle);
  [[nodiscard]] Record record() const;
  // Connection objects that still exist (valid handles).
  [[nodiscard]] int live() const;

 private:
  struct Conn;
  void walk(const std::shared_ptr<Conn>& conn);
  void notify(std::unique_lock<std::mutex>& lock, Conn& conn, DWORD state, DWORD error, DWORD subentry);
  void signal_disconnection(Conn& conn);
  void signal_global(DWORD flag);
  std::shared_ptr<Conn> find(HRASCONN handle) const;
  bool script_for(const std::string& entry, Script& out) const;
  bool on_notifier_thread() const;

  const SignalEvent signal_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Script> scripts_;
  bool catalogue_ = false;
  NotifyMode notify_mode_ = NotifyMode::working;
  std::map<HRASCONN, std::shared_ptr<Conn>> conns_;
  std::vector<std::pair<HANDLE, DWORD>> global_events_;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> notifier_threads_;
  std::uintptr_t next_handle_ = 0x1000;
  Record record_;
};

}  // namespace rasemu
