// The seam between the RAS backend's logic and Windows: one table of function pointers.
// On Windows, load_system_api() fills it from rasapi32.dll at run time (LoadLibrary +
// GetProcAddress) and from kernel32's event functions; on Linux, tests fill it with a fake.
// Nothing else in the backend calls the operating system.
#pragma once

#include <memory>
#include <string>

#include <dialkit/error.hpp>

#include "win32.hpp"

namespace dialkit::ras {

struct RasApi {
  // rasapi32.dll, W entry points. Required.
  DWORD(WINAPI* dial)(LPRASDIALEXTENSIONS, LPCWSTR phonebook, LPRASDIALPARAMSW, DWORD notifier_type,
                      LPVOID notifier, LPHRASCONN) = nullptr;
  DWORD(WINAPI* hang_up)(HRASCONN) = nullptr;
  DWORD(WINAPI* get_connect_status)(HRASCONN, LPRASCONNSTATUSW) = nullptr;
  DWORD(WINAPI* get_error_string)(UINT code, LPWSTR text, DWORD chars) = nullptr;
  DWORD(WINAPI* enum_entries)(LPCWSTR reserved, LPCWSTR phonebook, LPRASENTRYNAMEW, LPDWORD bytes,
                              LPDWORD count) = nullptr;
  DWORD(WINAPI* enum_connections)(LPRASCONNW, LPDWORD bytes, LPDWORD count) = nullptr;
  // Optional (may stay null): without them the backend polls, and EAP pauses fail.
  DWORD(WINAPI* connection_notification)(HRASCONN, HANDLE event, DWORD flags) = nullptr;
  DWORD(WINAPI* invoke_eap_ui)(HRASCONN, DWORD subentry, LPRASDIALEXTENSIONS, HWND) = nullptr;

  // Auto-reset events, for RasConnectionNotification and for waking the backend's threads
  // (kernel32 on Windows). wait_event returns true when the event was signalled.
  HANDLE (*create_event)() = nullptr;
  bool (*wait_event)(HANDLE, DWORD milliseconds) = nullptr;
  void (*set_event)(HANDLE) = nullptr;
  void (*close_event)(HANDLE) = nullptr;

  // Keeps the module the pointers point into loaded for as long as any copy of the table lives.
  std::shared_ptr<void> keep_loaded;
  // Where the table came from ("rasapi32.dll at C:\...", "fake"), for messages.
  std::string origin;
};

// Windows: rasapi32.dll from the system's search path. Elsewhere: backend_unavailable.
[[nodiscard]] Result<RasApi> load_system_api();

// True when every required pointer is set.
[[nodiscard]] bool is_complete(const RasApi& api) noexcept;

}  // namespace dialkit::ras
