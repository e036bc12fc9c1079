// The mock's watch: follows the event logs other processes' dials write into the registry
// directory (registry.hpp), event-driven by the log's growth rather than by diffing snapshots,
// so every event of a dial shows, in order, however fast they come.
#include "watch.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#if !defined(_WIN32)
#include <sys/stat.h>
#endif

#include <dialkit/report_gate.hpp>
#include <dialkit/scheduler.hpp>
#include <dialkit/trace.hpp>
#include <nlohmann/json.hpp>

#include "mapping.hpp"

namespace dialkit::mock::detail {

namespace {

// How often a watch looks for new and grown logs. Nothing is lost between looks (the logs keep
// every event); this only bounds how late a watch prints.
constexpr auto watch_poll_interval = std::chrono::milliseconds{20};

// Watches other processes' connections by following their logs (registry.hpp): every event
// each dialling process reported, in order, with its native code, error and reason.
class WatchCore : public std::enable_shared_from_this<WatchCore> {
 public:
  WatchCore(std::shared_ptr<Scheduler> scheduler, std::shared_ptr<Registry> registry,
            std::shared_ptr<WatchSink> sink)
      : scheduler_(std::move(scheduler)), registry_(std::move(registry)), sink_(std::move(sink)) {}

  void start() {
    // Logs that ended before the watch started are history, not news; a live one is followed
    // from its first event. Decided here, before watch() returns, so that a dial started after
    // that is always new, however fast it ends.
    for (const auto& id : registry_->logs()) {
      const long pid = Registry::pid_of(id);
      if (pid == Registry::own_pid()) continue;
      followed_.emplace(id, Followed{.file = file_identity(id),
                                     .skip = pid == 0 || !Registry::pid_alive(pid) || ended_already(id)});
    }
    std::lock_guard lock(mutex_);
    schedule_locked(Clock::duration::zero());
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
      if (task_) scheduler_->cancel(*task_);
      task_.reset();
    }
    gate_.close();
  }

 private:
  // Where the watch is in one log. Only the poll task touches these (start() runs before it).
  struct Followed {
    std::uint64_t file = 0;  // identity of the file read (inode): a new file starts over
    std::uint64_t offset = 0;
    std::string partial{};  // a line whose newline has not come yet
    bool discarding = false;  // inside an over-long line: dropped up to its newline
    bool header_read = false;
    std::string entry{};
    long pid = 0;
    std::size_t lines = 0;
    bool ended = false;  // the last event read was `disconnected`
    bool skip = false;   // ended before the watch started, or not a log of ours
  };

  std::uint64_t file_identity(const std::string& id) const {
#if defined(_WIN32)
    (void)id;
    return 0;  // Windows: a shrunken file is the only sign of a new one
#else
    struct stat info {};
    if (::stat((registry_->dir() / (id + ".log")).c_str(), &info) != 0) return 0;
    return static_cast<std::uint64_t>(info.st_ino);
#endif
  }

  bool ended_already(const std::string& id) const {
    Followed probe;
    std::vector<NativeReport> ignored;
    read_new(id, probe, ignored);
    return probe.ended || probe.skip;
  }

  void schedule_locked(Clock::duration delay) {
    if (stopped_) return;
    task_ = scheduler_->post_after(delay, [self = shared_from_this()] { self->poll(); });
  }

  // Reads what was added to the log since `f.offset` and turns each complete line into a report.
  void read_new(const std::string& id, Followed& f, std::vector<NativeReport>& out) const {
    std::ifstream in(registry_->dir() / (id + ".log"), std::ios::binary);
    if (!in) return;
    in.seekg(0, std::ios::end);
    const auto end = static_cast<std::streamoff>(in.tellg());
    if (end < 0) return;
    if (static_cast<std::uint64_t>(end) < f.offset) f = Followed{.file = f.file};  // replaced
    // A bounded read per look; the rest comes at the next one.
    constexpr std::uint64_t chunk = 64 * 1024;
    const auto available = static_cast<std::uint64_t>(end) - f.offset;
    std::string data(static_cast<std::size_t>(std::min(available, chunk)), '\0');
    in.seekg(static_cast<std::streamoff>(f.offset));
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    data.resize(static_cast<std::size_t>(in.gcount()));
    f.offset += data.size();
    std::string_view rest(data);
    while (!rest.empty() && !f.skip) {
      const auto nl = rest.find('\n');
      if (!f.discarding) f.partial.append(rest.substr(0, nl));
      if (f.partial.size() >= max_log_line) {
        f.partial.clear();
        f.discarding = true;  // no line of ours is this long: skip to the next newline
      }
      if (nl == std::string_view::npos) break;
      rest.remove_prefix(nl + 1);
      // A complete line, unless it was the end of an over-long one.
      if (!std::exchange(f.discarding, false)) take_line(std::exchange(f.partial, {}), f, out);
    }
  }

  static void take_line(const std::string& line, Followed& f, std::vector<NativeReport>& out) {
    if (!f.header_read) {
      // A file in a directory others write to: find(), as operator[] of a const object
      // asserts on a missing key.
      const auto j = nlohmann::json::parse(line, nullptr, false);
      const auto pid = j.find("pid");  // end() of anything but an object
      const auto entry = j.find("entry");
      if (!j.is_object() || !j.contains("dialkit_mock_log") || pid == j.end() || !pid->is_number_integer() ||
          entry == j.end() || !entry->is_string()) {
        f.skip = true;  // not a log this version writes
        return;
      }
      f.header_read = true;
      f.pid = pid->get<long>();
      f.entry = entry->get<std::string>();
      return;
    }
    if (++f.lines > max_log_events + 1) return;  // more than any writer of ours writes
    auto parsed = event_from_json(line);
    if (!parsed) return;  // a damaged line: the next ones still count
    const Event& e = parsed->event;
    f.ended = e.state == State::disconnected;
    out.push_back(NativeReport{e.state, e.native_code, e.native_name, e.error, e.reason, e.subentry});
  }

  void poll() {
    plugin::ReportGate::Pass pass(gate_);
    if (!pass) return;
    {
      std::lock_guard lock(mutex_);
      task_.reset();
    }
    const auto own = Registry::own_pid();
    const auto ids = registry_->logs();
    for (const auto& id : ids) {
      if (Registry::pid_of(id) == own) continue;
      Followed& f = followed_[id];
      const auto identity = file_identity(id);
      if (identity != f.file) f = Followed{.file = identity};  // a new log under that name
      if (f.skip) continue;
      // Asked before reading: a writer found dead has written all it ever will.
      const bool writer_alive = Registry::pid_alive(Registry::pid_of(id));
      std::vector<NativeReport> reports;
      read_new(id, f, reports);
      // Only this task reads the logs, so the sink is called without a lock held, in order.
      for (auto& r : reports) sink_->report(id, f.entry, std::move(r));
      if (!writer_alive && f.header_read && !f.ended && reports.empty()) {
        f.ended = true;
        sink_->report(id, f.entry,
                      default_report(State::disconnected, "the dialling process (" + std::to_string(f.pid) +
                                                              ") ended without hanging up"));
      }
    }
    std::erase_if(followed_, [&](const auto& kv) {
      return !std::binary_search(ids.begin(), ids.end(), kv.first);
    });
    if (++polls_ % 250 == 0) registry_->sweep_logs();
    std::lock_guard lock(mutex_);
    schedule_locked(watch_poll_interval);
  }

  const std::shared_ptr<Scheduler> scheduler_;
  const std::shared_ptr<Registry> registry_;
  const std::shared_ptr<WatchSink> sink_;
  plugin::ReportGate gate_;
  std::mutex mutex_;
  bool stopped_ = false;
  std::optional<Scheduler::TaskId> task_;
  std::map<std::string, Followed> followed_;
  std::uint64_t polls_ = 0;
};

class MockWatchHandle final : public WatchHandle {
 public:
  explicit MockWatchHandle(std::shared_ptr<WatchCore> core) : core_(std::move(core)) {}
  ~MockWatchHandle() override { core_->stop(); }
  MockWatchHandle(const MockWatchHandle&) = delete;
  MockWatchHandle& operator=(const MockWatchHandle&) = delete;

 private:
  std::shared_ptr<WatchCore> core_;
};
}  // namespace

Result<std::unique_ptr<WatchHandle>> watch_registry(std::shared_ptr<Scheduler> scheduler,
                                                    std::shared_ptr<Registry> registry,
                                                    std::shared_ptr<WatchSink> sink) {
  auto core = std::make_shared<WatchCore>(std::move(scheduler), std::move(registry), std::move(sink));
  core->start();
  return std::unique_ptr<WatchHandle>(std::make_unique<MockWatchHandle>(std::move(core)));
}

}  // namespace dialkit::mock::detail
