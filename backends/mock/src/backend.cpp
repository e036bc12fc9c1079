// The mock backend and its factory: scenarios from the factory's store, the scenario
// directories and recorded traces; each dial is a Run (session.hpp); the registry (registry.hpp)
// and its watch (watch.hpp) let other processes see, end and follow the dials.
#include "backend.hpp"

#include <algorithm>
#include <iterator>
#include <set>

#include <dialkit/install_dirs.hpp>
#include <dialkit/search_path.hpp>
#include <dialkit/shared_session.hpp>

#include "session.hpp"
#include "watch.hpp"


namespace dialkit::mock {

namespace fs = std::filesystem;
using detail::Registry;

namespace {

constexpr std::string_view trace_prefix = "trace:";

// The dial options a scenario can honour. The mock declares both (MockFactory::capabilities());
// this is the entry-level check beside core's: a phone number replaces the one the scenario
// dials (status() and the registry show it), so it needs a scenario that dials one; a callback
// number answers a callback_set_by_caller pause, so it needs a scenario that has one (not a
// replayed pause, which goes on by itself). Anything else is refused before the dial starts
// (DESIGN.md section 3: honoured or refused, never ignored).
Result<void> check_honoured(const Scenario& scenario, const DialRequest& request) {
  auto refuse = [&](std::string_view option, std::string_view why) {
    return fail(make_error(Errc::not_supported, "the mock backend cannot honour a " + std::string(option) +
                                                    " for scenario \"" + scenario.name + "\": " + std::string(why)));
  };
  if (request.phone_number && scenario.phone_number.empty())
    return refuse("phone number (--phone)", "it dials no number (give it a \"phone_number\")");
  if (request.callback_number && std::ranges::none_of(scenario.steps, [](const Step& s) {
        return s.state == State::callback_set_by_caller && s.pause && !s.pause->auto_resume;
      }))
    return refuse("callback number (--callback)", "it has no callback_set_by_caller pause to answer");
  return {};
}

class MockBackend final : public Backend {
 public:
  MockBackend(std::shared_ptr<ScenarioStore> store, const BackendContext& context)
      : store_(std::move(store)),
        scheduler_(context.scheduler),
        dirs_(scenario_search_dirs(context.options)) {
    if (const auto it = context.options.find("registry_dir");
        it != context.options.end() && !it->second.empty())
      registry_ = std::make_shared<Registry>(it->second);
    if (const auto it = context.options.find("fault_seed"); it != context.options.end()) {
      // Checked in create(); here it is known to parse.
      seed_override_ = std::stoull(it->second);
    }
    core_ = std::make_shared<detail::BackendCore>(scheduler_, registry_);
  }
  ~MockBackend() override { core_->shutdown(); }
  MockBackend(const MockBackend&) = delete;
  MockBackend& operator=(const MockBackend&) = delete;

  Result<std::vector<Entry>> entries() override {
    auto listed = list_entries();
    if (!listed) return fail(listed.error());
    return std::move(listed->entries);
  }

  Result<EntryListing> list_entries() override {
    EntryListing listing;
    auto& out = listing.entries;
    std::set<std::string> seen;
    for (const auto& s : store_->all())
      if (seen.insert(s.name).second) out.push_back(Entry{s.name, "scenario", s.description});
    for (const auto& dir : dirs_) {
      std::error_code ec;
      std::vector<fs::path> files;
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".json") files.push_back(it->path());
      std::sort(files.begin(), files.end());
      for (const auto& file : files) {
        const auto name = file.stem().string();
        if (seen.contains(name)) continue;
        // A broken file is left out, and named with the parser's error; dialling it says the same.
        auto scenario = load_scenario_file(file);
        if (!scenario) {
          listing.skipped.push_back(SkippedEntry{file.string(), scenario.error()});
          continue;
        }
        seen.insert(name);
        out.push_back(Entry{name, "scenario", scenario->description});
      }
    }
    return listing;
  }

  Result<std::unique_ptr<Session>> dial(const DialRequest& request,
                                        std::shared_ptr<Reporter> reporter) override {
    auto scenario = find_scenario(request.entry);
    if (!scenario) return fail(scenario.error());
    if (auto honoured = check_honoured(*scenario, request); !honoured) return fail(honoured.error());
    auto run = std::make_shared<detail::Run>(std::move(*scenario), request, std::move(reporter),
                                     scheduler_, registry_, core_, seed_override_);
    if (!core_->add(run))
      return fail(make_error(Errc::invalid_state, "the mock backend is shut down"));
    run->start();
    return std::unique_ptr<Session>(std::make_unique<plugin::SharedSession<detail::Run>>(run));
  }

  Result<std::vector<LiveConnection>> live_connections() override {
    std::vector<LiveConnection> out;
    if (!registry_) {
      for (const auto& run : core_->live()) out.push_back(run->live_connection());
      return out;
    }
    const auto own = Registry::own_pid();
    for (const auto& r : registry_->records())
      out.push_back(LiveConnection{r.id, r.entry, r.state, r.pid == own, r.device});
    return out;
  }

  Result<void> hangup_live(std::string_view id_view) override {
    const std::string id(id_view);
    // One of ours: no need to go through the file system.
    if (auto run = core_->find(id)) {
      run->remote_hangup("hang-up requested by id");
      return {};
    }
    if (!registry_)
      return fail(make_error(Errc::unknown_entry,
                             "no live mock connection \"" + id +
                                 "\" in this process (set the mock's registry_dir option to reach other processes)"));
    if (!registry_->record(id))
      return fail(make_error(Errc::unknown_entry, "no live mock connection \"" + id + "\" in " +
                                                      registry_->dir().string()));
    return registry_->request_hangup(id);
  }

  Result<std::unique_ptr<WatchHandle>> watch(std::shared_ptr<WatchSink> sink) override {
    if (!registry_)
      return fail(make_error(Errc::not_supported,
                             "the mock watches other processes only with its registry_dir option set"));
    return detail::watch_registry(scheduler_, registry_, std::move(sink));
  }

  void shutdown() override { core_->shutdown(); }

 private:
  Result<Scenario> find_scenario(const std::string& entry) const {
    if (entry.starts_with(trace_prefix)) {
      const fs::path file(entry.substr(trace_prefix.size()));
      auto trace = read_trace(file);
      if (!trace) return fail(trace.error());
      auto scenario = scenario_from_trace(*trace);
      if (!scenario) {
        auto e = scenario.error();
        e.detail = file.string() + ": " + e.detail;
        return fail(e);
      }
      scenario->source = entry;
      return scenario;
    }
    if (auto s = store_->get(entry)) return *s;
    // An entry is a file stem, never a path: no climbing out of the scenario directories.
    if (entry.empty() || entry.find('/') != std::string::npos || entry.starts_with("."))
      return fail(make_error(Errc::unknown_entry, "\"" + entry + "\" is not a scenario name"));
    for (const auto& dir : dirs_) {
      const auto file = dir / (entry + ".json");
      std::error_code ec;
      if (fs::is_regular_file(file, ec)) return load_scenario_file(file);
    }
    std::string searched;
    for (const auto& dir : dirs_) searched += (searched.empty() ? "" : ", ") + dir.string();
    return fail(make_error(Errc::unknown_entry,
                           "no mock scenario \"" + entry + "\" (searched: " + searched + ")"));
  }

  std::shared_ptr<ScenarioStore> store_;
  std::shared_ptr<Scheduler> scheduler_;
  std::vector<fs::path> dirs_;
  std::shared_ptr<Registry> registry_;
  std::optional<std::uint64_t> seed_override_;
  std::shared_ptr<detail::BackendCore> core_;
};


}  // namespace

std::vector<fs::path> shipped_scenario_dirs() {
  // Found relative to the libdialkit-core in use (the plugin and the static library alike):
  // an installed core gives the installed copy, a build tree's core the source tree's files.
  const auto& data = dialkit_dirs().data_dir;
  if (data.empty()) return {};
  return {data / "scenarios"};
}

std::vector<fs::path> scenario_search_dirs(const std::map<std::string, std::string>& options) {
  std::vector<fs::path> dirs;
  if (const auto it = options.find("scenario_dirs"); it != options.end()) dirs = split_search_path(it->second);
  std::ranges::move(environment_search_path("DIALKIT_MOCK_SCENARIOS"), std::back_inserter(dirs));
  std::ranges::move(shipped_scenario_dirs(), std::back_inserter(dirs));
  return dirs;
}

// What scenarios can script: credentials (checked against the scenario's expected ones), a
// phone number (for a scenario that dials one), a callback number (for one with a
// callback_set_by_caller pause), multilink bundles (subentry steps), EAP (the invoke_eap_ui
// pause) and every other pause. The registry is polled for others' dials.
MockFactory::MockFactory()
    : Factory({.name = backend_name,
               .description = backend_description,
               .capabilities = ras_capabilities(WatchKind::polling),
               .fake = true}),
      store_(std::make_shared<ScenarioStore>()) {}
MockFactory::~MockFactory() = default;

Result<std::unique_ptr<Backend>> MockFactory::create(const BackendContext& context) {
  if (!context.scheduler)
    return fail(make_error(Errc::invalid_argument, "the mock backend needs a scheduler"));
  if (const auto it = context.options.find("fault_seed"); it != context.options.end()) {
    const auto& v = it->second;
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 19)
      return fail(make_error(Errc::invalid_argument,
                             "mock option fault_seed must be a non-negative integer, not \"" + v + "\""));
  }
  try {
    return std::unique_ptr<Backend>(std::make_unique<MockBackend>(store_, context));
  } catch (const std::exception& e) {
    return fail(make_error(Errc::system_error, std::string("cannot create the mock backend: ") + e.what()));
  }
}

Result<void> MockFactory::add_scenario(Scenario scenario) {
  if (scenario.source.empty()) scenario.source = "scenario " + scenario.name;
  if (auto ok = validate(scenario); !ok) return ok;
  store_->put(std::move(scenario));
  return {};
}

std::shared_ptr<MockFactory> make_factory() { return std::make_shared<MockFactory>(); }

}  // namespace dialkit::mock
