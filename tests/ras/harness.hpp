// What the RAS scenario tests share on both layers: a recorder of events, and a Rig that gives
// a Runtime with the ras backend plus control over the RAS model behind it. On Linux the Rig
// holds the fake table (the emulator, in-process); on Windows it loads the real adapter
// (rasapi32.dll via LoadLibrary), which under wine is the project's stand-in.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <dialkit/runtime.hpp>

#include "backend.hpp"
#include "text.hpp"

namespace dialkit::ras::test {

using namespace std::chrono_literals;

// Generous: the waits end on the event; the limit only turns a hang into a failure.
inline constexpr auto wait_limit = 20s;

// Its slot shares the recorded state, so a Recorder may go before events still in flight
// (a hang-up's last `disconnected` is delivered after hangup() returned).
class Recorder {
 public:
  EventSlot slot() {
    return [shared = state_](const Event& e) {
      std::lock_guard lock(shared->mutex);
      shared->events.push_back(e);
      shared->changed.notify_all();
    };
  }
  bool wait_for(const std::function<bool(const std::vector<Event>&)>& done) {
    std::unique_lock lock(state_->mutex);
    return state_->changed.wait_for(lock, wait_limit, [&] { return done(state_->events); });
  }
  bool wait_for_state(State s, std::size_t count = 1) {
    return wait_for([&](const std::vector<Event>& es) {
      std::size_t n = 0;
      for (const auto& e : es)
        if (e.state == s) ++n;
      return n >= count;
    });
  }
  bool wait_for_end() { return wait_for_state(State::disconnected); }
  std::vector<Event> events() {
    std::lock_guard lock(state_->mutex);
    return state_->events;
  }
  std::vector<State> states() {
    std::vector<State> out;
    for (const auto& e : events()) out.push_back(e.state);
    return out;
  }
  std::size_t count(State s) {
    const auto all = states();
    return static_cast<std::size_t>(std::count(all.begin(), all.end(), s));
  }
  Event last() {
    std::lock_guard lock(state_->mutex);
    return state_->events.empty() ? Event{} : state_->events.back();
  }

 private:
  struct Shared {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Event> events;
  };
  std::shared_ptr<Shared> state_ = std::make_shared<Shared>();
};

struct Counters {
  int dials = 0, resumes = 0, dials_from_notifier = 0, hangups = 0, notifications = 0, zero_returns = 0,
      suppressed = 0, eap_ui_calls = 0, live = 0;
  std::string last_user, last_password, last_callback;
};

enum class NotifyMode { working = 0, refused = 1, silent = 2 };

// The RAS model behind the table, as a test drives it.
class Control {
 public:
  virtual ~Control() = default;
  virtual Counters counters() = 0;
  virtual bool drop(HRASCONN handle, DWORD error) = 0;
  virtual HRASCONN external_connect(const std::string& entry) = 0;
  virtual bool external_disconnect(HRASCONN handle) = 0;
  virtual void set_notify_mode(NotifyMode mode) = 0;
};

// Made by the layer's own source file (fake on Linux, stand-in on Windows): the control and
// the loader the ras factory uses. `origin` says what the table is.
struct Model {
  std::unique_ptr<Control> control;
  ApiLoader loader;
  std::string origin;
};
Model make_model();

// A runtime with the ras backend on a model; settings are short so tests run fast.
class Rig {
 public:
  explicit Rig(std::map<std::string, std::string> options = {}) : model_(make_model()) {
    RuntimeOptions o;
    o.load_plugins = false;
    auto& ras = o.backend_options["ras"];
    ras = {{"poll_ms", "1"}, {"hangup_limit_ms", "3000"}, {"watch_poll_ms", "20"}};
    for (auto& [k, v] : options) ras[k] = v;
    runtime_ = std::make_unique<Runtime>(std::move(o));
    runtime_->add_backend(make_factory(model_.loader));
  }
  ~Rig() { runtime_.reset(); }  // before the model: the runtime hangs up through it
  Rig(const Rig&) = delete;
  Rig& operator=(const Rig&) = delete;

  Runtime& runtime() { return *runtime_; }
  Control& control() { return *model_.control; }
  Dialer dialer() { return runtime_->dialer("ras").value(); }
  Result<Connection> dial(const std::string& entry, Recorder& recorder, DialOptions options = {}) {
    return dialer().dial(entry, std::move(options), recorder.slot());
  }
  // The handle of the one live connection of `entry`.
  HRASCONN handle_of(const std::string& entry) {
    auto live = dialer().connections();
    if (live)
      for (const auto& c : *live)
        if (c.entry == entry) return handle_from_id(c.id).value_or(nullptr);
    return nullptr;
  }

 private:
  Model model_;
  std::unique_ptr<Runtime> runtime_;
};

}  // namespace dialkit::ras::test
