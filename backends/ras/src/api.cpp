// The real RasApi table: rasapi32.dll resolved at run time, so the plugin links only kernel32
// and loads on systems (or wine prefixes) where RAS is missing or stubbed, and says so.
#include "api.hpp"
#include "backend.hpp"
#include "text.hpp"

#if defined(_WIN32)

namespace dialkit::ras {
namespace {

HANDLE create_event() { return ::CreateEventW(nullptr, FALSE, FALSE, nullptr); }
bool wait_event(HANDLE event, DWORD milliseconds) {
  return ::WaitForSingleObject(event, milliseconds) == WAIT_OBJECT_0;
}
void set_event(HANDLE event) { ::SetEvent(event); }
void close_event(HANDLE event) { ::CloseHandle(event); }

// GetProcAddress gives a FARPROC; going through void(*)() keeps -Wcast-function-type quiet
// about a cast that is the documented way to use it.
template <class Function>
void resolve(HMODULE module, const char* name, Function& out) {
  if (FARPROC proc = ::GetProcAddress(module, name))
    out = reinterpret_cast<Function>(reinterpret_cast<void (*)()>(proc));
}

std::string module_path(HMODULE module) {
  wchar_t path[MAX_PATH + 1]{};
  const DWORD n = ::GetModuleFileNameW(module, path, MAX_PATH);
  return n == 0 ? std::string("rasapi32.dll") : to_utf8(path, n);
}

bool under_wine() {
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  return ntdll && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

}  // namespace

Result<RasApi> load_system_api() {
  HMODULE module = ::LoadLibraryW(L"rasapi32.dll");
  if (!module)
    return fail(make_error(Errc::backend_unavailable, static_cast<std::int64_t>(::GetLastError()), {},
                           "cannot load rasapi32.dll"));
  RasApi api;
  api.keep_loaded = std::shared_ptr<void>(module, [](void* m) { ::FreeLibrary(static_cast<HMODULE>(m)); });
  resolve(module, "RasDialW", api.dial);
  resolve(module, "RasHangUpW", api.hang_up);
  resolve(module, "RasGetConnectStatusW", api.get_connect_status);
  resolve(module, "RasGetErrorStringW", api.get_error_string);
  resolve(module, "RasEnumEntriesW", api.enum_entries);
  resolve(module, "RasEnumConnectionsW", api.enum_connections);
  resolve(module, "RasConnectionNotificationW", api.connection_notification);
  resolve(module, "RasInvokeEapUI", api.invoke_eap_ui);
  api.create_event = &create_event;
  api.wait_event = &wait_event;
  api.set_event = &set_event;
  api.close_event = &close_event;
  api.origin = module_path(module) + (under_wine() ? " (under wine)" : "");
  if (!is_complete(api))
    return fail(make_error(Errc::backend_unavailable, api.origin + " lacks one of the RAS functions dialkit needs"));
  return api;
}

}  // namespace dialkit::ras

#else

namespace dialkit::ras {

Result<RasApi> load_system_api() {
  return fail(make_error(Errc::backend_unavailable, "RAS (rasapi32.dll) exists only on Windows"));
}

}  // namespace dialkit::ras

#endif
