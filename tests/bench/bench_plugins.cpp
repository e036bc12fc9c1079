// (e) Discovering, verifying (permissions, ABI version and build key, read without running
// the plugin) and loading every plugin of the build tree's plugin directory with
// dialkit::scan_plugins, then releasing them, beside a bare dlopen + dlclose of the same
// files.
#include <dlfcn.h>

#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <dialkit/plugin_loader.hpp>

#include "bench_names.hpp"

namespace {

using namespace dialkit;

PluginSearchOptions build_tree_only() {
  PluginSearchOptions options;
  options.paths = {DIALKIT_BENCH_PLUGIN_DIR};
  options.use_environment = false;
  options.use_install_dir = false;
  options.use_build_tree = false;
  return options;
}

void bm_scan_plugins(benchmark::State& state) {
  const auto options = build_tree_only();
  std::size_t loaded = 0;
  std::size_t refused = 0;
  for (auto _ : state) {
    // The scan result owns the libraries: they are released at the end of each iteration.
    const PluginScan scan = scan_plugins(options);
    loaded = scan.loaded.size();
    refused = scan.refused.size();
    benchmark::DoNotOptimize(scan.loaded.data());
  }
  if (loaded == 0) state.SkipWithError("no plugin loaded from " DIALKIT_BENCH_PLUGIN_DIR);
  state.counters["loaded"] = static_cast<double>(loaded);
  state.counters["refused"] = static_cast<double>(refused);
}

void bm_bare_dlopen(benchmark::State& state) {
  // The same files scan_plugins loads.
  std::vector<std::string> files;
  for (const auto& plugin : scan_plugins(build_tree_only()).loaded) files.push_back(plugin.path.string());
  if (files.empty()) {
    state.SkipWithError("no plugin loaded from " DIALKIT_BENCH_PLUGIN_DIR);
    return;
  }
  for (auto _ : state) {
    for (const auto& file : files) {
      void* handle = dlopen(file.c_str(), RTLD_LAZY | RTLD_LOCAL);
      if (handle == nullptr) {
        state.SkipWithError(dlerror());
        return;
      }
      dlclose(handle);
    }
  }
  // Whether dlclose really unmaps the files (a plugin with STB_GNU_UNIQUE symbols stays
  // loaded, which makes every later dlopen cheap): 1 when all were unloaded.
  bool unloaded = true;
  for (const auto& file : files) {
    if (void* handle = dlopen(file.c_str(), RTLD_LAZY | RTLD_NOLOAD)) {
      unloaded = false;
      dlclose(handle);
    }
  }
  state.counters["files"] = static_cast<double>(files.size());
  state.counters["unloaded"] = unloaded ? 1 : 0;
}

namespace names = dialkit::bench::names;
BENCHMARK(bm_bare_dlopen)->Name(names::plugins_dlopen)->Unit(benchmark::kMicrosecond);
BENCHMARK(bm_scan_plugins)->Name(names::plugins_scan)->Unit(benchmark::kMicrosecond);

}  // namespace
