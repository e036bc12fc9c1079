// The mock's cross-process registry of live connections (registry.cpp), shared by its dials
// (session.cpp), its watch (watch.cpp) and the backend (backend.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <dialkit/backend.hpp>

namespace dialkit::mock::detail {

// One live connection as its process published it. records() and record() read back only id,
// pid, entry, state and device; connection, native_code and native_name are written for people.
struct RegistryRecord {
  std::string id;  // "<pid>-<connection>", also the file stem
  long pid = 0;
  ConnectionId connection = 0;
  std::string entry;
  State state = State::opening_port;
  std::int64_t native_code = 0;
  std::string native_name;
  std::string device;
};

// The event log of one connection, <id>.log: JSON Lines, append-only. The first line is a
// header {"dialkit_mock_log":1,"id":...,"pid":...,"entry":...}; each further line is one event
// as the dialling process reported it, in event_to_json()'s form (state, native code and name,
// error, reason, subentry, attempt). A watch in another process follows it, so it sees every
// event in order however fast they come. Bounded: at most max_log_events event lines (the
// final `disconnected` always gets in), each shorter than max_log_line bytes. A writer that
// dies leaves at most a last line without its newline, which readers never take.
inline constexpr std::size_t max_log_events = 4096;
inline constexpr std::size_t max_log_line = 4096;
// An ended log (or one whose writer died) is removed once it has not changed for this long, so
// that a watch polling every few milliseconds has read it first.
inline constexpr auto log_grace = std::chrono::seconds{30};

// The files of the cross-process registry in one directory: <pid>-<connection>.json per live
// session (rewritten atomically on each report), <id>.log (above) and <id>.hangup to ask its
// owner to hang up.
class Registry {
 public:
  explicit Registry(std::filesystem::path dir);

  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }
  [[nodiscard]] static long own_pid() noexcept;
  [[nodiscard]] static bool pid_alive(long pid) noexcept;
  [[nodiscard]] static std::string id_for(long pid, ConnectionId connection);

  Result<void> publish(const RegistryRecord& record) const;
  void withdraw(const std::string& id) const;
  // Every record whose process lives; files of dead processes are removed.
  [[nodiscard]] std::vector<RegistryRecord> records() const;
  [[nodiscard]] std::optional<RegistryRecord> record(const std::string& id) const;
  Result<void> request_hangup(const std::string& id) const;
  // True (and removes the request) if someone asked for this id to hang up.
  bool take_hangup_request(const std::string& id) const;

  // Starts <id>.log with its header: a fresh file (replacing any stale one of a dead process
  // whose pid came back) for a first attempt, kept when a redial of the same connection
  // continues it.
  Result<void> start_log(const std::string& id, long pid, const std::string& entry,
                         bool fresh) const;
  // Appends one line (the newline is added); one write, so a reader sees all of it or none.
  Result<void> append_log(const std::string& id, const std::string& line) const;
  // The ids that have a log, sorted.
  [[nodiscard]] std::vector<std::string> logs() const;
  // Removes the logs that ended (or whose writer died) and have not changed for log_grace.
  void sweep_logs() const;
  // The process id in a registry id ("<pid>-<connection>"), or 0.
  [[nodiscard]] static long pid_of(const std::string& id) noexcept;

 private:
  std::filesystem::path dir_;
};

}  // namespace dialkit::mock::detail
