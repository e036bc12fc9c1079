// The task gate and the mock's cross-process registry of live connections (a directory of
// small JSON files), which lets `dialkit status/hangup/watch` in another process see and end
// a demo's mock dials.
#include "internal.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#if defined(_WIN32)
#include <windows.h>
#else
#include <signal.h>
#include <unistd.h>
#endif

#include <nlohmann/json.hpp>

namespace dialkit::mock::detail {

namespace fs = std::filesystem;
using nlohmann::json;

bool TaskGate::enter() {
  std::lock_guard lock(mutex_);
  if (closed_) return false;
  inside_.push_back(std::this_thread::get_id());
  return true;
}

void TaskGate::leave() {
  std::lock_guard lock(mutex_);
  const auto it = std::find(inside_.begin(), inside_.end(), std::this_thread::get_id());
  if (it != inside_.end()) inside_.erase(it);
  left_.notify_all();
}

void TaskGate::close() {
  std::unique_lock lock(mutex_);
  closed_ = true;
  const auto self = std::this_thread::get_id();
  left_.wait(lock, [&] {
    return std::all_of(inside_.begin(), inside_.end(), [&](auto id) { return id == self; });
  });
}

bool TaskGate::close_without_waiting() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  const auto self = std::this_thread::get_id();
  return std::any_of(inside_.begin(), inside_.end(), [&](auto id) { return id != self; });
}

bool TaskGate::is_closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

Registry::Registry(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);  // a failure shows up as a publish error
}

#if defined(_WIN32)
// Windows (MinGW cross build): process ids and liveness through the process API.
long Registry::own_pid() noexcept { return static_cast<long>(::GetCurrentProcessId()); }

bool Registry::pid_alive(long pid) noexcept {
  if (pid <= 0) return false;
  HANDLE process = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(pid));
  if (!process) return ::GetLastError() == ERROR_ACCESS_DENIED;  // exists, someone else's
  DWORD code = 0;
  const bool running = ::GetExitCodeProcess(process, &code) != 0 && code == STILL_ACTIVE;
  ::CloseHandle(process);
  return running;
}
#else
long Registry::own_pid() noexcept { return static_cast<long>(::getpid()); }

bool Registry::pid_alive(long pid) noexcept {
  if (pid <= 0) return false;
  // EPERM: the process exists but belongs to someone else.
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}
#endif

std::string Registry::id_for(long pid, ConnectionId connection) {
  return std::to_string(pid) + "-" + std::to_string(connection);
}

Result<void> Registry::publish(const RegistryRecord& r) const {
  const json j{{"id", r.id},
               {"pid", r.pid},
               {"connection", r.connection},
               {"entry", r.entry},
               {"state", std::string(state_name(r.state))},
               {"native_code", r.native_code},
               {"native_name", r.native_name},
               {"device", r.device}};
  // Write then rename, so a reader never sees half a file.
  const auto tmp = dir_ / ("." + r.id + ".json.tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump() << '\n';
    if (!out.flush())
      return fail(make_error(Errc::system_error, "cannot write " + tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, dir_ / (r.id + ".json"), ec);
  if (ec)
    return fail(make_error(Errc::system_error, "cannot publish " + r.id + ": " + ec.message()));
  return {};
}

void Registry::withdraw(const std::string& id) const {
  std::error_code ec;
  fs::remove(dir_ / (id + ".json"), ec);
  fs::remove(dir_ / (id + ".hangup"), ec);
}

namespace {

std::optional<RegistryRecord> read_record(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  const json j = json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  RegistryRecord r;
  r.id = file.stem().string();
  r.pid = j.value("pid", 0L);
  r.connection = j.value("connection", ConnectionId{0});
  r.entry = j.value("entry", std::string());
  const auto state = state_from_name(j.value("state", std::string()));
  if (!state) return std::nullopt;
  r.state = *state;
  r.native_code = j.value("native_code", std::int64_t{0});
  r.native_name = j.value("native_name", std::string());
  r.device = j.value("device", std::string());
  return r;
}

}  // namespace

std::vector<RegistryRecord> Registry::records() const {
  std::vector<RegistryRecord> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const auto& path = it->path();
    if (path.extension() != ".json" || path.filename().string().starts_with(".")) continue;
    auto r = read_record(path);
    // A file that vanished or is being replaced is simply not listed this time.
    if (!r) continue;
    if (!pid_alive(r->pid)) {
      withdraw(r->id);
      continue;
    }
    out.push_back(std::move(*r));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

std::optional<RegistryRecord> Registry::record(const std::string& id) const {
  auto r = read_record(dir_ / (id + ".json"));
  if (r && !pid_alive(r->pid)) {
    withdraw(id);
    return std::nullopt;
  }
  return r;
}

Result<void> Registry::request_hangup(const std::string& id) const {
  std::ofstream out(dir_ / (id + ".hangup"), std::ios::trunc);
  out << own_pid() << '\n';
  if (!out.flush())
    return fail(make_error(Errc::system_error, "cannot write a hang-up request in " + dir_.string()));
  return {};
}

bool Registry::take_hangup_request(const std::string& id) const {
  std::error_code ec;
  return fs::remove(dir_ / (id + ".hangup"), ec);
}

}  // namespace dialkit::mock::detail
