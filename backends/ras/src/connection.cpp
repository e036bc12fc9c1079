// See connection.hpp.
#include "connection.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "mapping.hpp"
#include "text.hpp"

namespace dialkit::ras {
namespace {

std::string error_text(const RasApi& api, DWORD code) {
  if (!api.get_error_string) return {};
  WideChar text[512]{};
  if (api.get_error_string(code, text, 512) != ERROR_SUCCESS) return {};
  return text_of(text);
}

}  // namespace

Error ras_error(const RasApi& api, DWORD code, std::string_view context) {
  return make_ras_error(code, error_text(api, code), context);
}

NativeReport disconnected_report(std::string reason, std::optional<Error> error) {
  NativeReport r = plugin::native_report(state_rows, static_cast<std::uint32_t>(native_disconnected), State::disconnected);
  r.reason = std::move(reason);
  r.error = std::move(error);
  return r;
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

bool hang_up_and_wait(const RasApi& api, HRASCONN handle, const Settings& settings) {
  api.hang_up(handle);
  const auto deadline = std::chrono::steady_clock::now() + settings.hangup_limit;
  for (;;) {
    RASCONNSTATUSW s = empty_status();
    if (api.get_connect_status(handle, &s) == ERROR_INVALID_HANDLE) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(settings.poll_interval);
  }
}

void HandleBook::add(HRASCONN h) {
  std::lock_guard lock(mutex_);
  ++refs_[h];
}

int HandleBook::release(HRASCONN h) {
  std::lock_guard lock(mutex_);
  const auto it = refs_.find(h);
  if (it == refs_.end()) return 0;
  const int left = --it->second;
  if (left <= 0) refs_.erase(it);
  return std::max(left, 0);
}

bool HandleBook::contains(HRASCONN h) const {
  std::lock_guard lock(mutex_);
  return refs_.count(h) != 0;
}

Result<std::vector<LiveRow>> enumerate_connections(const RasApi& api) {
  auto rows = enumerate<RASCONNW>(api, 4, "RasEnumConnections",
                                  [&api](RASCONNW* r, DWORD* bytes, DWORD* count) { return api.enum_connections(r, bytes, count); });
  if (!rows) return fail(rows.error());
  std::vector<LiveRow> out;
  for (const auto& row : *rows) out.push_back(LiveRow{row.hrasconn, text_of(row.szEntryName), text_of(row.szDeviceName)});
  return out;
}

State live_state(const RasApi& api, HRASCONN handle, std::optional<Error>* error) {
  RASCONNSTATUSW s = empty_status();
  if (api.get_connect_status(handle, &s) != ERROR_SUCCESS) return State::disconnected;
  if (error && s.dwError != ERROR_SUCCESS) *error = ras_error(api, s.dwError, "the link dropped");
  if (s.dwError != ERROR_SUCCESS) return State::disconnected;
  return state_for_ras(static_cast<std::uint32_t>(s.rasconnstate)).value_or(State::connected);
}

}  // namespace dialkit::ras
