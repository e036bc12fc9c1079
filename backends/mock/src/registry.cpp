// The mock's cross-process registry of live connections (a directory of
// small JSON files), which lets `dialkit status/hangup/watch` in another process see and end
// a demo's mock dials.
#include "registry.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <system_error>

#if defined(_WIN32)
#include <windows.h>
#else
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#endif

#include <nlohmann/json.hpp>

namespace dialkit::mock::detail {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Writes `text` and a newline to dir/.<name>.tmp and renames it to dir/<name>, so that a reader
// never sees half a file (and a reader of an older file of that name sees it change). `what`
// names the file in the error of the rename.
Result<void> write_then_rename(const fs::path& dir, const std::string& name, const std::string& text,
                               std::ios::openmode mode, const std::string& what) {
  const auto tmp = dir / ("." + name + ".tmp");
  {
    std::ofstream out(tmp, mode);
    out << text << '\n';
    if (!out.flush()) return fail(make_error(Errc::system_error, "cannot write " + tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, dir / name, ec);
  if (ec) return fail(make_error(Errc::system_error, "cannot " + what + ": " + ec.message()));
  return {};
}

// The stems of the files in `dir` named *`extension` (hidden ones left out), sorted.
std::vector<std::string> stems(const fs::path& dir, std::string_view extension) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto& path = it->path();
    if (path.extension() != extension || path.filename().string().starts_with(".")) continue;
    out.push_back(path.stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The string `key` of the object `j`: empty if it is missing, nullopt if it is no string.
std::optional<std::string> string_field(const json& j, std::string_view key) {
  const auto it = j.find(key);
  if (it == j.end()) return std::string();
  if (!it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The record in `file`, or nullopt if it cannot be read or is not one this version writes (a
// file in a directory others write to: a wrong field is no reason to throw). Its connection,
// native code and name are for people reading the file; nothing reads them back.
std::optional<RegistryRecord> read_record(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  const json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  const auto pid = j.find("pid");
  if (pid == j.end() || !pid->is_number_integer()) return std::nullopt;
  // Read as 64 bits: a value past them wraps negative and is refused with the other non-pids.
  const auto pid_value = pid->get<std::int64_t>();
  if (pid_value <= 0 || pid_value > std::numeric_limits<long>::max()) return std::nullopt;
  const auto state_text = string_field(j, "state");
  const auto state = state_text ? state_from_name(*state_text) : std::nullopt;
  auto entry = string_field(j, "entry");
  auto device = string_field(j, "device");
  if (!state || !entry || !device) return std::nullopt;
  RegistryRecord r;
  r.id = file.stem().string();
  r.pid = static_cast<long>(pid_value);
  r.entry = std::move(*entry);
  r.state = *state;
  r.device = std::move(*device);
  return r;
}

// True if the last complete line of a log is a `disconnected` event.
bool log_ended(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::streamoff>(in.tellg());
  if (size <= 0) return false;
  const auto from = std::max<std::streamoff>(0, size - static_cast<std::streamoff>(2 * max_log_line));
  in.seekg(from);
  std::string tail(static_cast<std::size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<std::size_t>(in.gcount()));
  // The last complete line: one without its newline is never taken.
  const auto last_nl = tail.rfind('\n');
  if (last_nl == std::string::npos) return false;
  tail.resize(last_nl);
  const auto prev = tail.rfind('\n');
  const json j = json::parse(tail.substr(prev == std::string::npos ? 0 : prev + 1), nullptr, false);
  return j.is_object() && j.contains("state") && j["state"] == "disconnected";
}

}  // namespace

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
  return write_then_rename(dir_, r.id + ".json", j.dump(), std::ios::trunc, "publish " + r.id);
}

void Registry::withdraw(const std::string& id) const {
  std::error_code ec;
  fs::remove(dir_ / (id + ".json"), ec);
  fs::remove(dir_ / (id + ".hangup"), ec);
}

std::vector<RegistryRecord> Registry::records() const {
  std::vector<RegistryRecord> out;
  for (const auto& id : stems(dir_, ".json")) {
    // A file that vanished or is being replaced, or whose process died, is not listed.
    if (auto r = record(id)) out.push_back(std::move(*r));
  }
  sweep_logs();
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

long Registry::pid_of(const std::string& id) noexcept {
  const auto dash = id.find('-');
  if (dash == 0 || dash == std::string::npos || dash > 18) return 0;
  long pid = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + dash, pid);
  return ec == std::errc{} && end == id.data() + dash ? pid : 0;
}

Result<void> Registry::start_log(const std::string& id, long pid, const std::string& entry,
                                 bool fresh) const {
  std::error_code ec;
  if (!fresh && fs::exists(dir_ / (id + ".log"), ec)) return {};
  const json header{{"dialkit_mock_log", 1}, {"id", id}, {"pid", pid}, {"entry", entry}};
  // A new file, so a reader of a stale log with the same name sees it change.
  return write_then_rename(dir_, id + ".log", header.dump(), std::ios::trunc | std::ios::binary,
                           "start the log of " + id);
}

Result<void> Registry::append_log(const std::string& id, const std::string& line) const {
  const std::string whole = line + '\n';
#if defined(_WIN32)
  std::ofstream out(dir_ / (id + ".log"), std::ios::app | std::ios::binary);
  out.write(whole.data(), static_cast<std::streamsize>(whole.size()));
  if (!out.flush()) return fail(make_error(Errc::system_error, "cannot append to the log of " + id));
#else
  // O_APPEND and one write(): the line lands whole at the end, never interleaved or torn
  // (short of the process dying inside the call, which leaves a line without its newline).
  const int fd = ::open((dir_ / (id + ".log")).c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return fail(make_error(Errc::system_error,
                           "cannot append to the log of " + id + ": " + std::strerror(errno)));
  ssize_t n = -1;
  do {
    n = ::write(fd, whole.data(), whole.size());
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n != static_cast<ssize_t>(whole.size()))
    return fail(make_error(Errc::system_error, "cannot append to the log of " + id));
#endif
  return {};
}

std::vector<std::string> Registry::logs() const { return stems(dir_, ".log"); }

void Registry::sweep_logs() const {
  const auto now = fs::file_time_type::clock::now();
  for (const auto& id : logs()) {
    const auto file = dir_ / (id + ".log");
    std::error_code ec;
    const auto changed = fs::last_write_time(file, ec);
    if (ec || now - changed < log_grace) continue;
    if (!pid_alive(pid_of(id)) || log_ended(file)) fs::remove(file, ec);
  }
}

}  // namespace dialkit::mock::detail
