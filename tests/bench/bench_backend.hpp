// A tiny in-process backend for the benchmarks: its sessions do nothing by themselves; the
// benchmark takes each dial's Reporter and reports states through it from whatever thread
// it wants, so that what is measured is core (validation, numbering, delivery), not a
// backend's own work.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <dialkit/backend.hpp>
#include <dialkit/runtime.hpp>

namespace dialkit::bench {

// What the benchmark shares with the backend: the reporters of the dials made so far.
struct BenchControl {
  std::mutex mutex;
  std::vector<std::shared_ptr<Reporter>> reporters;

  std::vector<std::shared_ptr<Reporter>> take() {
    std::lock_guard lock(mutex);
    return std::exchange(reporters, {});
  }
};

class BenchSession final : public Session {
 public:
  Result<void> resume(const ResumeInput&) override { return {}; }
  void hangup() override {}
  [[nodiscard]] SessionStatus status() const override { return {}; }
};

class BenchBackend final : public Backend {
 public:
  explicit BenchBackend(std::shared_ptr<BenchControl> control) : control_(std::move(control)) {}
  Result<std::vector<Entry>> entries() override {
    return std::vector<Entry>{{"bench", "scenario", "benchmark entry"}};
  }
  Result<std::unique_ptr<Session>> dial(const DialRequest&,
                                        std::shared_ptr<Reporter> reporter) override {
    {
      std::lock_guard lock(control_->mutex);
      control_->reporters.push_back(std::move(reporter));
    }
    return std::unique_ptr<Session>(new BenchSession());
  }
  Result<std::vector<LiveConnection>> live_connections() override {
    return std::vector<LiveConnection>{};
  }

 private:
  std::shared_ptr<BenchControl> control_;
};

class BenchFactory final : public BackendFactory {
 public:
  explicit BenchFactory(std::shared_ptr<BenchControl> control) : control_(std::move(control)) {}
  [[nodiscard]] std::string name() const override { return "bench"; }
  [[nodiscard]] std::string description() const override { return "benchmark backend"; }
  [[nodiscard]] bool is_fake() const override { return true; }
  // The benchmarks dial with no options: nothing to honour.
  [[nodiscard]] Capabilities capabilities() const override { return {}; }
  [[nodiscard]] Result<void> probe() const override { return {}; }
  Result<std::unique_ptr<Backend>> create(const BackendContext&) override {
    return std::unique_ptr<Backend>(new BenchBackend(control_));
  }

 private:
  std::shared_ptr<BenchControl> control_;
};

inline NativeReport native(State state, std::int64_t code, std::optional<std::uint32_t> subentry = {}) {
  NativeReport r;
  r.state = state;
  r.native_code = code;
  r.native_name = "bench";
  r.subentry = subentry;
  return r;
}

// A runtime without plugins, holding the bench backend.
inline RuntimeOptions bench_runtime_options(RuntimeOptions::Delivery delivery,
                                            std::shared_ptr<Scheduler> scheduler) {
  RuntimeOptions options;
  options.load_plugins = false;
  options.delivery = delivery;
  options.scheduler = std::move(scheduler);
  return options;
}

}  // namespace dialkit::bench
