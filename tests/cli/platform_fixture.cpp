// A stand-in platform backend for the CLI's tests of commands that look across every usable
// backend (status, hangup, watch). Built several times under different names (PLATFORM_NAME);
// with PLATFORM_UNUSABLE its probe fails, as a platform that is not installed does. Its live
// connections are the lines "ID ENTRY" of $DIALKIT_CLI_PLATFORMS/NAME.live; hanging one up
// removes its line and appends its id to NAME.hungup; a watch reports each live connection
// once, as connected. It dials nothing.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <dialkit/plugin.hpp>

namespace platform_fixture {

using namespace dialkit;
namespace fs = std::filesystem;

fs::path state_file(const char* suffix) {
  const char* dir = std::getenv("DIALKIT_CLI_PLATFORMS");
  if (dir == nullptr || *dir == '\0') return {};
  return fs::path(dir) / (std::string(PLATFORM_NAME) + suffix);
}

std::vector<LiveConnection> read_live() {
  std::vector<LiveConnection> out;
  const auto file = state_file(".live");
  if (file.empty()) return out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    LiveConnection c;
    if (words >> c.id >> c.entry) {
      c.device = std::string(PLATFORM_NAME) + "-device";
      out.push_back(std::move(c));
    }
  }
  return out;
}

class PlatformWatch final : public WatchHandle {
 public:
  explicit PlatformWatch(std::shared_ptr<WatchSink> sink)
      : thread_([sink = std::move(sink)] {
          for (const auto& c : read_live())
            sink->report(c.id, c.entry, NativeReport{State::connected, 8192, "RASCS_Connected", {}, {}, {}});
        }) {}
  ~PlatformWatch() override { thread_.join(); }
  PlatformWatch(const PlatformWatch&) = delete;
  PlatformWatch& operator=(const PlatformWatch&) = delete;

 private:
  std::thread thread_;
};

class PlatformBackend final : public Backend {
 public:
  Result<std::vector<Entry>> entries() override { return std::vector<Entry>{}; }
  Result<std::unique_ptr<Session>> dial(const DialRequest&, std::shared_ptr<Reporter>) override {
    return fail(make_error(Errc::not_supported, "the " PLATFORM_NAME " test backend does not dial"));
  }
  Result<std::vector<LiveConnection>> live_connections() override { return read_live(); }
  Result<void> hangup_live(std::string_view id) override {
    auto live = read_live();
    std::ofstream out(state_file(".live"), std::ios::trunc);
    bool found = false;
    for (const auto& c : live) {
      if (c.id == id) {
        found = true;
        continue;
      }
      out << c.id << ' ' << c.entry << '\n';
    }
    if (!found) return fail(make_error(Errc::unknown_entry, "no live connection " + std::string(id)));
    std::ofstream(state_file(".hungup"), std::ios::app) << id << '\n';
    return {};
  }
  Result<std::unique_ptr<WatchHandle>> watch(std::shared_ptr<WatchSink> sink) override {
    return std::unique_ptr<WatchHandle>(std::make_unique<PlatformWatch>(std::move(sink)));
  }
};

class PlatformFactory final : public BackendFactory {
 public:
  [[nodiscard]] std::string name() const override { return PLATFORM_NAME; }
  [[nodiscard]] std::string description() const override { return "CLI test platform " PLATFORM_NAME; }
  [[nodiscard]] Capabilities capabilities() const override {
    return Capabilities{}.with_watch(WatchKind::events).with_hangup_by_id();
  }
  [[nodiscard]] Result<void> probe() const override {
#if defined(PLATFORM_UNUSABLE)
    return fail(make_error(Errc::backend_unavailable, PLATFORM_NAME " is not installed here"));
#else
    return {};
#endif
  }
  Result<std::unique_ptr<Backend>> create(const BackendContext&) override {
    return std::unique_ptr<Backend>(std::make_unique<PlatformBackend>());
  }
};

}  // namespace platform_fixture

DIALKIT_PLUGIN(platform_fixture::PlatformFactory, PLATFORM_NAME, "CLI test platform")
