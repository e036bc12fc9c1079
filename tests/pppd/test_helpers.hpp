// Shared by the pppd tests: a collector of one connection's events that a test can wait on, and
// a recorder of what a backend hands to BackendContext::failed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <dialkit/event.hpp>
#include <dialkit/state.hpp>

namespace dialkit::pppd::test {

class Collector {
 public:
  void operator()(const Event& e) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back(e);
    }
    cv_.notify_all();
  }
  // Waits (real time) until `state` was delivered; false on time-out.
  bool wait_for(State state, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, limit, [&] {
      for (const auto& e : events_)
        if (e.state == state) return true;
      return false;
    });
  }
  std::vector<Event> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::vector<std::string> states() const {
    std::vector<std::string> out;
    for (const auto& e : events()) out.emplace_back(state_name(e.state));
    return out;
  }
  std::string joined() const {
    std::string out;
    for (const auto& s : states()) out += (out.empty() ? "" : " ") + s;
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Event> events_;
};

// What a backend handed to BackendContext::failed: a test gives `hook()` to the factory and
// waits for the backend to say it cannot go on.
class Failures {
 public:
  std::function<void(const std::string&)> hook() {
    return [this](const std::string& what) {
      {
        std::lock_guard lock(mutex_);
        texts_.push_back(what);
      }
      cv_.notify_all();
    };
  }
  // Waits (real time) for the first failure; its text, or nothing on time-out.
  std::optional<std::string> wait(std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, limit, [&] { return !texts_.empty(); })) return std::nullopt;
    return texts_.front();
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return texts_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> texts_;
};

}  // namespace dialkit::pppd::test
