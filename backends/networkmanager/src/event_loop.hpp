// The NetworkManager backend's bus thread: one sd-bus connection, a wake fd and a queue of work
// that other threads post, run on a BackendThread. Everything that touches the connection runs
// here; the NM client and the secret agent are called from this loop only.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <sdbus-c++/sdbus-c++.h>

#include <dialkit/backend.hpp>

namespace dialkit::networkmanager {

// The system bus address sd-bus uses: DBUS_SYSTEM_BUS_ADDRESS, else the standard socket.
[[nodiscard]] std::string system_bus_address();
// Connects as sd-bus does: the system bus from DBUS_SYSTEM_BUS_ADDRESS (or its default),
// unless `address` names one.
[[nodiscard]] std::unique_ptr<sdbus::IConnection> connect(const std::optional<std::string>& address);

class EventLoop {
 public:
  // What the loop calls on its thread: after each piece of work and each dispatch round
  // (`settle`), when the connection breaks (`lost`, after broken() turned true), and when the
  // loop threw and will run nothing more (`abandoned`).
  struct Hooks {
    std::function<void()> settle;
    std::function<void(const std::string& why)> lost;
    std::function<void()> abandoned;
  };

  EventLoop(std::unique_ptr<sdbus::IConnection> connection, BackendFailure failed);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  [[nodiscard]] sdbus::IConnection& connection() noexcept { return *connection_; }
  // Starts the thread.
  Result<void> start(Hooks hooks);
  // Ends the thread (after the work already queued), from any thread; the connection stays
  // until close().
  void stop();
  // Drops the connection: after every object with an sd-bus slot on it is gone.
  void close();

  [[nodiscard]] bool on_thread() const noexcept { return std::this_thread::get_id() == thread_id_.load(); }
  // Runs `work` on the bus thread and waits for it (runs it inline when already there).
  // False if the bus thread is gone.
  bool run(const std::function<void()>& work);
  void post(std::function<void()> work);
  // What a call gets once the bus thread is gone: shut down, or failed (it threw).
  [[nodiscard]] Error gone() const;

  // Bus thread only: the connection broke (and why); it stays broken.
  [[nodiscard]] bool broken() const noexcept { return broken_; }
  [[nodiscard]] const std::string& lost_reason() const noexcept { return lost_reason_; }

 private:
  void loop();
  void abandon(const std::string& why);
  void drain();
  void lose(const std::string& why);
  void wake();

  std::unique_ptr<sdbus::IConnection> connection_;
  const BackendFailure failed_;
  Hooks hooks_;
  int wake_fd_ = -1;
  BackendThread thread_;
  std::atomic<std::thread::id> thread_id_{};
  std::once_flag stop_once_;

  mutable std::mutex queue_mutex_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  bool thread_done_ = false;
  std::string failure_;  // why the bus thread ended early (it threw); guarded by queue_mutex_

  // Bus thread only.
  bool broken_ = false;
  std::string lost_reason_;
};

}  // namespace dialkit::networkmanager
