// The fake RasApi table; see fake_api.hpp.
#include "fake_api.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>

namespace dialkit::ras::test {
namespace {

rasemu::Emulator* g_emulator = nullptr;

// Events live in a registry by number: signalling one that was closed meanwhile (a watch
// ended while RAS still holds its registration) finds nothing, as a stale HANDLE would.
struct FakeEvent {
  std::mutex mutex;
  std::condition_variable cv;
  bool set = false;
};
// Never destroyed: a worker that ends on its own (its session was dropped on the worker's
// own thread) may close its event while the process exits.
struct EventTable {
  std::mutex mutex;
  std::map<std::uintptr_t, std::shared_ptr<FakeEvent>> events;
  std::uintptr_t next = 1;
};
EventTable& table() {
  static auto* t = new EventTable;
  return *t;
}

std::shared_ptr<FakeEvent> lookup(HANDLE h) {
  std::lock_guard lock(table().mutex);
  const auto it = table().events.find(reinterpret_cast<std::uintptr_t>(h));
  return it == table().events.end() ? nullptr : it->second;
}

HANDLE create_event() {
  std::lock_guard lock(table().mutex);
  const auto id = table().next++;
  table().events[id] = std::make_shared<FakeEvent>();
  return reinterpret_cast<HANDLE>(id);
}
bool wait_event(HANDLE h, DWORD ms) {
  auto e = lookup(h);
  if (!e) return false;
  std::unique_lock lock(e->mutex);
  if (ms == INFINITE)
    e->cv.wait(lock, [&] { return e->set; });
  else
    e->cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return e->set; });
  const bool was = e->set;
  e->set = false;  // auto-reset
  return was;
}
void set_event(HANDLE h) {
  if (auto e = lookup(h)) {
    std::lock_guard lock(e->mutex);
    e->set = true;
    e->cv.notify_all();
  }
}
void close_event(HANDLE h) {
  std::lock_guard lock(table().mutex);
  table().events.erase(reinterpret_cast<std::uintptr_t>(h));
}

DWORD dial(LPRASDIALEXTENSIONS e, LPCWSTR pb, LPRASDIALPARAMSW p, DWORD t, LPVOID n, LPHRASCONN h) {
  return g_emulator->dial(e, pb, p, t, n, h);
}
DWORD hang_up(HRASCONN h) { return g_emulator->hang_up(h); }
DWORD get_connect_status(HRASCONN h, LPRASCONNSTATUSW s) { return g_emulator->get_connect_status(h, s); }
DWORD get_error_string(UINT c, LPWSTR t, DWORD n) { return g_emulator->get_error_string(c, t, n); }
DWORD enum_entries(LPCWSTR r, LPCWSTR pb, LPRASENTRYNAMEW e, LPDWORD b, LPDWORD c) {
  return g_emulator->enum_entries(r, pb, e, b, c);
}
DWORD enum_connections(LPRASCONNW c, LPDWORD b, LPDWORD n) { return g_emulator->enum_connections(c, b, n); }
DWORD connection_notification(HRASCONN h, HANDLE e, DWORD f) { return g_emulator->connection_notification(h, e, f); }
DWORD invoke_eap_ui(HRASCONN h, DWORD s, LPRASDIALEXTENSIONS e, HWND w) { return g_emulator->invoke_eap_ui(h, s, e, w); }

}  // namespace

FakeRas::FakeRas() : emulator_(std::make_unique<rasemu::Emulator>(&set_event)) { g_emulator = emulator_.get(); }

FakeRas::~FakeRas() {
  emulator_.reset();
  g_emulator = nullptr;
}

RasApi FakeRas::api() const {
  RasApi api;
  api.dial = &dial;
  api.hang_up = &hang_up;
  api.get_connect_status = &get_connect_status;
  api.get_error_string = &get_error_string;
  api.enum_entries = &enum_entries;
  api.enum_connections = &enum_connections;
  api.connection_notification = &connection_notification;
  api.invoke_eap_ui = &invoke_eap_ui;
  api.create_event = &create_event;
  api.wait_event = &wait_event;
  api.set_event = &set_event;
  api.close_event = &close_event;
  api.origin = "fake";
  return api;
}

}  // namespace dialkit::ras::test
