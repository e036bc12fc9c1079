/// @file
/// The report gate of the plugin kit: "a hang-up waits for a report in progress" written once.
/// A backend's threads and scheduler tasks report only while they hold a Pass; a hang-up closes
/// the gate, after which nothing of the backend reports any more.
///
///     void on_native_change(...) {
///       dialkit::plugin::ReportGate::Pass pass(gate_);
///       if (!pass) return;                 // hung up: report nothing
///       reporter_->report(...);
///     }
///     void hangup() override { gate_.close(); /* then stop the native dial */ }
///
/// close() waits until no Pass is held on another thread, and never for one held on its own
/// thread: a slot delivered inline from inside a report may call hangup(), and must not wait
/// for itself. close_without_waiting() is for a hang-up that is called while a report may be
/// waiting on a lock the caller holds (core calls Session::hangup() under the connection's
/// control lock, which a slot that resumes from inside a report waits for): it only tells
/// whether a report is still running on another thread.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace dialkit::plugin {

/// Lets reports through while open; see the file comment.
class ReportGate {
 public:
  /// Enters the gate: false once it is closed (then the caller must not report).
  [[nodiscard]] bool enter() {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    inside_.push_back(std::this_thread::get_id());
    return true;
  }
  /// Leaves after a successful enter() on the same thread.
  void leave() {
    std::lock_guard lock(mutex_);
    const auto it = std::find(inside_.begin(), inside_.end(), std::this_thread::get_id());
    if (it != inside_.end()) inside_.erase(it);
    left_.notify_all();
  }
  /// Closes the gate and waits until every Pass held on another thread is gone.
  void close() {
    std::unique_lock lock(mutex_);
    closed_ = true;
    const auto self = std::this_thread::get_id();
    left_.wait(lock, [&] { return std::all_of(inside_.begin(), inside_.end(), [&](auto id) { return id == self; }); });
  }
  /// Closes the gate without waiting; true when a Pass is still held on another thread.
  [[nodiscard]] bool close_without_waiting() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    const auto self = std::this_thread::get_id();
    return std::any_of(inside_.begin(), inside_.end(), [&](auto id) { return id != self; });
  }
  /// True once close() or close_without_waiting() ran.
  [[nodiscard]] bool is_closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

  /// Enters on construction, leaves on destruction when it got in; test it before reporting.
  class Pass {
   public:
    /// Enters `gate` (see enter()).
    explicit Pass(ReportGate& gate) : gate_(gate), inside_(gate.enter()) {}
    ~Pass() {
      if (inside_) gate_.leave();
    }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    explicit operator bool() const noexcept { return inside_; }  ///<got in: may report

   private:
    ReportGate& gate_;
    bool inside_;
  };

 private:
  mutable std::mutex mutex_;
  std::condition_variable left_;
  bool closed_ = false;
  std::vector<std::thread::id> inside_;
};

}  // namespace dialkit::plugin
