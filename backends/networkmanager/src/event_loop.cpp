// The bus thread (see event_loop.hpp): it polls the wake fd and the sd-bus connection, runs
// posted work and dispatches the connection's messages; the NM client's handlers run from here.
#include "event_loop.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>

#include <dialkit/search_path.hpp>

namespace dialkit::networkmanager {

std::string system_bus_address() {
  if (auto address = environment_value("DBUS_SYSTEM_BUS_ADDRESS")) return *address;
  return "unix:path=/run/dbus/system_bus_socket";
}

std::unique_ptr<sdbus::IConnection> connect(const std::optional<std::string>& address) {
  if (address) return sdbus::createSessionBusConnectionWithAddress(*address);
  return sdbus::createSystemBusConnection();
}

EventLoop::EventLoop(std::unique_ptr<sdbus::IConnection> connection, BackendFailure failed)
    : connection_(std::move(connection)), failed_(std::move(failed)) {}

EventLoop::~EventLoop() {
  stop();
  close();
}

Result<void> EventLoop::start(Hooks hooks) {
  hooks_ = std::move(hooks);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return fail(make_error(Errc::system_error, "eventfd failed"));
  static constexpr const char* name = "the NetworkManager backend's D-Bus thread";
  // An exception that escapes the loop (out of memory, a bug of ours) must not end the
  // user's process: the callers waiting on the loop are let go, then core is told, which
  // ends this backend's connections with backend_failed.
  thread_ = BackendThread(failed_, name, [this] {
    try {
      loop();
    } catch (const std::exception& e) {
      abandon(std::string(name) + " threw: " + e.what());
      throw;
    } catch (...) {
      abandon(std::string(name) + " threw a non-standard exception");
      throw;
    }
  });
  thread_id_ = thread_.get_id();
  return {};
}

void EventLoop::stop() {
  std::call_once(stop_once_, [this] {
    {
      std::lock_guard lock(queue_mutex_);
      stopping_ = true;
    }
    if (wake_fd_ >= 0) wake();
    // From the bus thread itself (a slot that shuts the backend down) this does not wait: the
    // loop ends after the task running now, and the thread is joined when the loop goes.
    thread_.join();
  });
}

void EventLoop::close() {
  connection_.reset();
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
    wake_fd_ = -1;
  }
}

void EventLoop::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
}

void EventLoop::post(std::function<void()> work) {
  {
    std::lock_guard lock(queue_mutex_);
    if (thread_done_) return;
    queue_.push_back(std::move(work));
  }
  wake();
}

bool EventLoop::run(const std::function<void()>& work) {
  if (on_thread()) {
    work();
    hooks_.settle();
    return true;
  }
  struct Waiter {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    bool ran = false;
    void finish(bool ran_it) {
      std::lock_guard l(m);
      if (done) return;
      ran = ran_it;
      done = true;
      cv.notify_all();
    }
  };
  // Let go when the task has run, or when it is dropped unrun (the loop threw; see abandon):
  // the last copy of the task going away says "not run" unless it ran.
  struct Release {
    explicit Release(std::shared_ptr<Waiter> w) : waiter(std::move(w)) {}
    Release(const Release&) = delete;
    Release& operator=(const Release&) = delete;
    ~Release() { waiter->finish(false); }
    std::shared_ptr<Waiter> waiter;
  };
  auto waiter = std::make_shared<Waiter>();
  {
    std::lock_guard lock(queue_mutex_);
    if (thread_done_) return false;
    queue_.push_back([&work, waiter, release = std::make_shared<Release>(waiter)] {
      work();
      waiter->finish(true);
    });
  }
  wake();
  std::unique_lock lock(waiter->m);
  // The loop runs or drops every queued task before it exits, so this always ends.
  waiter->cv.wait(lock, [&] { return waiter->done; });
  return waiter->ran;
}

Error EventLoop::gone() const {
  std::lock_guard lock(queue_mutex_);
  if (!failure_.empty())
    return make_error(Errc::backend_failed, "the NetworkManager backend cannot go on: " + failure_);
  return make_error(Errc::backend_unavailable, "the backend was shut down");
}

void EventLoop::abandon(const std::string& why) {
  std::deque<std::function<void()>> left;
  {
    std::lock_guard lock(queue_mutex_);
    thread_done_ = true;
    failure_ = why;
    left.swap(queue_);
  }
  left.clear();  // each dropped run() task lets its caller go
  hooks_.abandoned();
}

void EventLoop::loop() {
  for (;;) {
    std::deque<std::function<void()>> work;
    bool stopping = false;
    {
      std::lock_guard lock(queue_mutex_);
      work.swap(queue_);
      stopping = stopping_;
    }
    for (auto& w : work) {
      w();
      hooks_.settle();
    }
    if (stopping) {
      std::lock_guard lock(queue_mutex_);
      if (queue_.empty()) {
        thread_done_ = true;
        break;
      }
      continue;
    }
    drain();
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {-1, 0, 0}};
    int timeout_ms = -1;
    if (!broken_) {
      const auto pd = connection_->getEventLoopPollData();
      fds[1] = {pd.fd, pd.events, 0};
      if (const auto rel = pd.getRelativeTimeout())
        timeout_ms = static_cast<int>(std::min<std::int64_t>((rel->count() + 999) / 1000, 60'000));
    }
    const int r = ::poll(fds, broken_ ? 1 : 2, timeout_ms);
    if (r > 0 && (fds[0].revents & POLLIN)) {
      std::uint64_t v = 0;
      [[maybe_unused]] const auto n = ::read(wake_fd_, &v, sizeof v);
    }
    if (r > 0 && !broken_ && (fds[1].revents & (POLLHUP | POLLERR))) {
      drain();
      if (!broken_) lose("the D-Bus connection was closed by the bus");
    }
  }
}

void EventLoop::drain() {
  if (broken_) return;
  try {
    while (connection_->processPendingRequest()) hooks_.settle();
  } catch (const sdbus::Error& e) {
    lose("the D-Bus connection broke: " + e.getMessage());
  }
  hooks_.settle();
}

void EventLoop::lose(const std::string& why) {
  broken_ = true;
  lost_reason_ = why;
  hooks_.lost(why);
}

}  // namespace dialkit::networkmanager
