/// @file
/// The plugin kit's watch for platforms without change signals (DESIGN.md section 3, watch):
/// scan the platform's live connections, compare with the last scan, report what is new, what
/// changed and what vanished. A backend gives a scan function and what a vanished connection is
/// reported as; PollingWatch runs the loop on a BackendThread and is the WatchHandle
/// Backend::watch() returns. A platform with a signal for "something changed" (RAS's
/// RasConnectionNotification) gives its own wait and interrupt, so that a change is seen at once
/// and the poll is only the safety net. Platforms whose changes arrive as events (NetworkManager's
/// D-Bus signals, the mock's registry log) do not poll at all.
///
///     return std::unique_ptr<dialkit::WatchHandle>(new dialkit::plugin::PollingWatch(
///         sink, [this] { return scan_live(); },
///         {.interval = settings_.watch_interval, .thread_name = "the pppd backend's watch thread",
///          .failed = failed_, .vanished = [](const auto& last) { return gone_report(last); }}));
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <dialkit/backend.hpp>

namespace dialkit::plugin {

/// One connection as a scan of the platform saw it.
struct ObservedConnection {
  std::string id;       ///< its live id (the one live_connections() lists and hangup_live() takes)
  std::string entry;    ///< the entry it dialled
  NativeReport report;  ///< its state now, as a report
};

/// What a connection that vanished from a scan is reported as, given its last observation
/// (a `disconnected` report with the platform's native code and name).
using VanishedReport = std::function<NativeReport(const ObservedConnection& last)>;

/// Turns successive scans into watch reports: a new id is reported with its state; an id whose
/// state or native code changed is reported again; an id that vanished is reported as
/// `vanished(last)`, unless its last report was `disconnected` already. Pure: no thread, no
/// clock, tested on its own.
class WatchDiff {
 public:
  /// A diff with no connection known yet; `vanished` builds the report of one that vanished.
  explicit WatchDiff(VanishedReport vanished) : vanished_(std::move(vanished)) {}

  /// Compares `now` with the last scan and reports the differences to `sink`, in the order of
  /// `now` and then the vanished ones by id.
  void update(std::vector<ObservedConnection> now, WatchSink& sink) {
    std::map<std::string, ObservedConnection> next;
    for (auto& seen : now) {
      const auto it = known_.find(seen.id);
      const bool changed = it == known_.end() || it->second.report.state != seen.report.state ||
                           it->second.report.native_code != seen.report.native_code;
      if (changed) sink.report(seen.id, seen.entry, seen.report);
      std::string id = seen.id;
      next.insert_or_assign(std::move(id), std::move(seen));
    }
    for (const auto& [id, last] : known_) {
      if (next.contains(id) || last.report.state == State::disconnected) continue;
      sink.report(id, last.entry, vanished_(last));
    }
    known_ = std::move(next);
  }

 private:
  VanishedReport vanished_;
  std::map<std::string, ObservedConnection> known_;
};

/// A watch that scans every `interval` on a thread of its own (see the file comment). The
/// destructor stops and joins it; a scan that fails is tried again at the next round.
class PollingWatch final : public WatchHandle {
 public:
  /// Scans the platform: the connections to watch (those this backend dialled left out).
  using Scan = std::function<Result<std::vector<ObservedConnection>>()>;

  /// How the watch scans, waits and reports failures.
  struct Options {
    std::chrono::milliseconds interval{500};  ///< between scans
    std::string thread_name = "the watch thread";  ///< names the thread in a failure's text
    BackendFailure failed{};  ///< BackendContext::failed: an exception from a scan or a report
    VanishedReport vanished{};  ///< what a vanished connection is reported as
    /// Waits up to the interval for a platform signal; empty: a plain timed wait. It must
    /// return when `interrupt` is called.
    std::function<void(std::chrono::milliseconds)> wait{};
    std::function<void()> interrupt{};  ///< ends a `wait` early (stop and wake())
  };

  /// Starts the watch thread: the first scan runs at once and reports every connection found.
  PollingWatch(std::shared_ptr<WatchSink> sink, Scan scan, Options options)
      : sink_(std::move(sink)), scan_(std::move(scan)), options_(std::move(options)), diff_(options_.vanished) {
    thread_ = BackendThread(options_.failed, options_.thread_name, [this] { run(); });
  }
  ~PollingWatch() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (options_.interrupt) options_.interrupt();
    thread_.join();
  }
  PollingWatch(const PollingWatch&) = delete;
  PollingWatch& operator=(const PollingWatch&) = delete;

  /// Scans again now instead of at the end of the interval (the platform said something changed).
  void wake() {
    {
      std::lock_guard lock(mutex_);
      woken_ = true;
    }
    cv_.notify_all();
    if (options_.interrupt) options_.interrupt();
  }

 private:
  void run() {
    for (;;) {
      if (auto now = scan_()) diff_.update(std::move(*now), *sink_);  // reports with no lock held
      if (options_.wait) {
        options_.wait(options_.interval);
        std::lock_guard lock(mutex_);
        if (stop_) return;
        woken_ = false;
      } else {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, options_.interval, [this] { return stop_ || woken_; });
        if (stop_) return;
        woken_ = false;
      }
    }
  }

  const std::shared_ptr<WatchSink> sink_;
  const Scan scan_;
  const Options options_;
  WatchDiff diff_;  // only the watch thread touches it
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  BackendThread thread_;  // last: started after everything it uses exists, joined first
};

}  // namespace dialkit::plugin
