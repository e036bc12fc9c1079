// The stand-in rasapi32.dll for the Windows tests under wine (wine's own rasapi32 is all
// stubs: RasDial fails with 1 and never notifies). Loaded instead of wine's builtin with
// WINEDLLOVERRIDES=rasapi32=n,b from the test's directory. It is the emulator of
// tests/ras/emulator.hpp with the catalogue of scenarios on, exported under the real names by
// rasapi32.def, plus a few control functions for tests (standin_control.h).
#include <cstring>

#include "../emulator.hpp"
#include "standin_control.h"

namespace {

void signal_event(HANDLE event) { ::SetEvent(event); }

// Never destroyed: joining the emulator's threads from DllMain (process detach holds the
// loader lock) would deadlock; Windows ends those threads with the process.
rasemu::Emulator& emulator() {
  static rasemu::Emulator* e = [] {
    auto* made = new rasemu::Emulator(&signal_event);
    made->use_catalogue(true);
    return made;
  }();
  return *e;
}

template <std::size_t N>
void copy_out(char (&to)[N], const std::string& from) {
  const std::size_t n = from.size() < N - 1 ? from.size() : N - 1;
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

}  // namespace

// The RAS functions. Their own names would clash with ras.h's dllimport declarations, so
// they are defined as Standin_* and exported under the RAS names by the .def file.
extern "C" {

DWORD WINAPI Standin_RasDialW(LPRASDIALEXTENSIONS ext, LPCWSTR phonebook, LPRASDIALPARAMSW params, DWORD type,
                              LPVOID notifier, LPHRASCONN handle) {
  return emulator().dial(ext, phonebook, params, type, notifier, handle);
}
DWORD WINAPI Standin_RasHangUpW(HRASCONN handle) { return emulator().hang_up(handle); }
DWORD WINAPI Standin_RasGetConnectStatusW(HRASCONN handle, LPRASCONNSTATUSW status) {
  return emulator().get_connect_status(handle, status);
}
DWORD WINAPI Standin_RasGetErrorStringW(UINT code, LPWSTR text, DWORD chars) {
  return emulator().get_error_string(code, text, chars);
}
DWORD WINAPI Standin_RasEnumEntriesW(LPCWSTR reserved, LPCWSTR phonebook, LPRASENTRYNAMEW entries, LPDWORD bytes,
                                     LPDWORD count) {
  return emulator().enum_entries(reserved, phonebook, entries, bytes, count);
}
DWORD WINAPI Standin_RasEnumConnectionsW(LPRASCONNW connections, LPDWORD bytes, LPDWORD count) {
  return emulator().enum_connections(connections, bytes, count);
}
DWORD WINAPI Standin_RasConnectionNotificationW(HRASCONN handle, HANDLE event, DWORD flags) {
  return emulator().connection_notification(handle, event, flags);
}
DWORD WINAPI Standin_RasInvokeEapUI(HRASCONN handle, DWORD subentry, LPRASDIALEXTENSIONS ext, HWND parent) {
  return emulator().invoke_eap_ui(handle, subentry, ext, parent);
}

// Control.
uint32_t StandinGetCounters(struct StandinCounters* out) {
  const rasemu::Record r = emulator().record();
  *out = StandinCounters{};
  out->dials = r.dials;
  out->resumes = r.resumes;
  out->dials_from_notifier = r.dials_from_notifier;
  out->hangups = r.hangups;
  out->notifications = r.notifications;
  out->zero_returns = r.zero_returns;
  out->suppressed = r.suppressed;
  out->eap_ui_calls = r.eap_ui_calls;
  out->live = emulator().live();
  copy_out(out->last_user, r.last_user);
  copy_out(out->last_password, r.last_password);
  copy_out(out->last_callback, r.last_callback);
  return STANDIN_MAGIC;
}
int StandinDrop(void* handle, uint32_t error) { return emulator().drop(static_cast<HRASCONN>(handle), error) ? 1 : 0; }
void* StandinExternalConnect(const char* entry) { return emulator().external_connect(entry); }
int StandinExternalDisconnect(void* handle) {
  return emulator().external_disconnect(static_cast<HRASCONN>(handle)) ? 1 : 0;
}
void StandinSetNotifyMode(int mode) { emulator().set_notify_mode(static_cast<rasemu::NotifyMode>(mode)); }

}  // extern "C"
