// A backend for core's own tests: each dial makes a session whose reporter the test holds, so a
// test reports exactly the native sequence it wants and sees what core asked of the session.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <dialkit/backend.hpp>
#include <dialkit/runtime.hpp>

namespace dialkit::test {

struct SessionLog {
  DialRequest request;
  std::shared_ptr<Reporter> reporter;
  std::atomic<int> hangups{0};
  std::mutex mutex;
  std::vector<std::string> resumes;  // resume input kinds, in order
  std::function<void()> on_hangup;   // runs inside Session::hangup (before it returns)
  std::function<void(const ResumeInput&)> on_resume;

  void report(State s, std::int64_t native = 0, std::string native_name = {}) {
    NativeReport r;
    r.state = s;
    r.native_code = native;
    r.native_name = std::move(native_name);
    reporter->report(std::move(r));
  }
  void report_error(Errc code, std::int64_t native = 0) {
    NativeReport r;
    r.state = State::disconnected;
    r.native_code = native;
    Error e;
    e.code = code;
    e.native_code = native;
    r.error = e;
    reporter->report(std::move(r));
  }
};

struct BackendLog {
  std::mutex mutex;
  std::vector<std::shared_ptr<SessionLog>> sessions;
  std::atomic<int> shutdowns{0};
  std::atomic<int> destroyed{0};
  std::function<void(SessionLog&)> on_dial;  // e.g. start a script on the scheduler
  std::shared_ptr<WatchSink> watch_sink;
  std::atomic<int> live_hangups{0};

  std::shared_ptr<SessionLog> session(std::size_t i) {
    std::lock_guard lock(mutex);
    return sessions.at(i);
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return sessions.size();
  }
};

class ScriptSession final : public Session {
 public:
  explicit ScriptSession(std::shared_ptr<SessionLog> log) : log_(std::move(log)) {}
  Result<void> resume(const ResumeInput& input) override {
    {
      std::lock_guard lock(log_->mutex);
      log_->resumes.emplace_back(resume_input_name(input));
    }
    if (log_->on_resume) log_->on_resume(input);
    return {};
  }
  void hangup() override {
    log_->hangups.fetch_add(1);
    if (log_->on_hangup) log_->on_hangup();
  }
  SessionStatus status() const override {
    SessionStatus s;
    s.device_name = "script0";
    s.device_type = "modem";
    return s;
  }

 private:
  std::shared_ptr<SessionLog> log_;
};

class ScriptWatch final : public WatchHandle {};

class ScriptBackend final : public Backend {
 public:
  explicit ScriptBackend(std::shared_ptr<BackendLog> log) : log_(std::move(log)) {}
  ~ScriptBackend() override { log_->destroyed.fetch_add(1); }
  Result<std::vector<Entry>> entries() override { return std::vector<Entry>{{"line", "modem", ""}}; }
  Result<std::unique_ptr<Session>> dial(const DialRequest& request,
                                        std::shared_ptr<Reporter> reporter) override {
    if (request.entry == "missing") return fail(make_error(Errc::unknown_entry, request.entry));
    auto s = std::make_shared<SessionLog>();
    s->request = request;
    s->reporter = std::move(reporter);
    {
      std::lock_guard lock(log_->mutex);
      log_->sessions.push_back(s);
    }
    if (log_->on_dial) log_->on_dial(*s);
    return std::unique_ptr<Session>(new ScriptSession(s));
  }
  Result<std::vector<LiveConnection>> live_connections() override { return std::vector<LiveConnection>{}; }
  Result<void> hangup_live(std::string_view) override {
    log_->live_hangups.fetch_add(1);
    return {};
  }
  Result<std::unique_ptr<WatchHandle>> watch(std::shared_ptr<WatchSink> sink) override {
    log_->watch_sink = std::move(sink);
    return std::unique_ptr<WatchHandle>(new ScriptWatch());
  }
  void shutdown() override { log_->shutdowns.fetch_add(1); }

 private:
  std::shared_ptr<BackendLog> log_;
};

// Every dial option, every pause, a watch by events and hang-up by id: what the script backend
// does (it takes whatever the test reports).
inline Capabilities script_capabilities() {
  Capabilities c;
  for (const auto& info : dial_option_table) c.with(info.option);
  return c.with_every_pause().with_watch(WatchKind::events).with_hangup_by_id();
}

class ScriptFactory final : public BackendFactory {
 public:
  explicit ScriptFactory(std::shared_ptr<BackendLog> log, std::string name = "script", bool fake = false,
                         bool usable = true, Capabilities declared = script_capabilities())
      : log_(std::move(log)), name_(std::move(name)), fake_(fake), usable_(usable), declared_(declared) {}
  std::string name() const override { return name_; }
  std::string description() const override { return "scripted test backend"; }
  bool is_fake() const override { return fake_; }
  Capabilities capabilities() const override { return declared_; }
  Result<void> probe() const override {
    if (!usable_) return fail(make_error(Errc::backend_unavailable, "no such platform here"));
    return {};
  }
  // The backend's settings reach the probe: option "refuse" makes it fail.
  Result<void> probe_with(const BackendContext& context) const override {
    if (auto it = context.options.find("refuse"); it != context.options.end())
      return fail(make_error(Errc::backend_unavailable, "refused by option: " + it->second));
    return probe();
  }
  Result<std::unique_ptr<Backend>> create(const BackendContext&) override {
    return std::unique_ptr<Backend>(new ScriptBackend(log_));
  }

 private:
  std::shared_ptr<BackendLog> log_;
  std::string name_;
  bool fake_;
  bool usable_;
  Capabilities declared_;
};

// Collects delivered events; checks that deliveries never overlap.
struct Collector {
  std::mutex mutex;
  std::vector<Event> events;
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};

  EventSlot slot() {
    return [this](const Event& e) {
      if (inside.fetch_add(1) != 0) overlapped = true;
      {
        std::lock_guard lock(mutex);
        events.push_back(e);
      }
      inside.fetch_sub(1);
    };
  }
  std::vector<State> states() {
    std::lock_guard lock(mutex);
    std::vector<State> out;
    for (const auto& e : events) out.push_back(e.state);
    return out;
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return events.size();
  }
  Event at(std::size_t i) {
    std::lock_guard lock(mutex);
    return events.at(i);
  }
};

// A runtime without plugins, with the script backend, virtual time and inline delivery: the
// test thread does everything, deterministically.
struct InlineFixture {
  std::shared_ptr<BackendLog> log = std::make_shared<BackendLog>();
  std::shared_ptr<VirtualScheduler> clock = std::make_shared<VirtualScheduler>();
  Runtime runtime{[this] {
    RuntimeOptions o;
    o.load_plugins = false;
    o.delivery = RuntimeOptions::Delivery::inline_delivery;
    o.scheduler = clock;
    return o;
  }()};
  InlineFixture() { runtime.add_backend(std::make_shared<ScriptFactory>(log)); }
  Dialer dialer() { return *runtime.dialer("script"); }
};

}  // namespace dialkit::test
