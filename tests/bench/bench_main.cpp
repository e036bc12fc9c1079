// The benchmark driver: runs every registered benchmark with Google Benchmark's console
// output, keeps the results, and ends with one table that sets each figure beside its
// target from the foundation issue (bus, dispatcher, mock dials, memory, plugin loading).
#include <cstdarg>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_names.hpp"

namespace {

struct Figure {
  double real_ns = 0;  // real time per iteration
  benchmark::UserCounters counters;
};

double to_ns(double value, benchmark::TimeUnit unit) {
  switch (unit) {
    case benchmark::kNanosecond: return value;
    case benchmark::kMicrosecond: return value * 1e3;
    case benchmark::kMillisecond: return value * 1e6;
    case benchmark::kSecond: return value * 1e9;
  }
  return value;
}

// Prints as the console reporter does and remembers each benchmark's result (the median
// aggregate when repetitions were asked for, the single run otherwise).
class RecordingReporter final : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, Figure> figures;

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      if (run.error_occurred) continue;
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Aggregate && !median) continue;
      // The function name and its argument ("scheduler/virtual_post_cancel/10000"): without
      // the /iterations:N and /real_time suffixes.
      const std::string name =
          run.run_name.function_name + (run.run_name.args.empty() ? "" : "/" + run.run_name.args);
      if (!median && medians_.count(name) != 0) continue;
      if (median) medians_[name] = true;
      figures[name] = Figure{to_ns(run.GetAdjustedRealTime(), run.time_unit), run.counters};
    }
  }

 private:
  std::map<std::string, bool> medians_;
};

std::optional<double> counter(const std::map<std::string, Figure>& figures, const std::string& name,
                              const std::string& key) {
  const auto it = figures.find(name);
  if (it == figures.end()) return std::nullopt;
  const auto c = it->second.counters.find(key);
  if (c == it->second.counters.end()) return std::nullopt;
  return c->second.value;
}

std::optional<double> real_ns(const std::map<std::string, Figure>& figures, const std::string& name) {
  const auto it = figures.find(name);
  if (it == figures.end()) return std::nullopt;
  return it->second.real_ns;
}

__attribute__((format(printf, 1, 2))) std::string format(const char* fmt, ...) {
  char buf[96];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return buf;
}

void row(const std::string& figure, const std::string& measured, const std::string& target,
         const char* met) {
  std::printf("%-48s %-26s %-16s %s\n", figure.c_str(), measured.c_str(), target.c_str(), met);
}

// A figure against a bound: "yes"/"NO", or "-" when the figure is missing.
const char* verdict(std::optional<double> value, double bound, bool at_most) {
  if (!value) return "-";
  return (at_most ? *value <= bound : *value >= bound) ? "yes" : "NO";
}

void print_summary(const std::map<std::string, Figure>& f) {
  using namespace dialkit::bench::names;
  const std::string missing = "not measured";
  std::printf("\n%-48s %-26s %-16s %s\n", "figure", "measured", "target", "met?");
  std::printf("%s\n", std::string(98, '-').c_str());

  const auto fn = real_ns(f, bus_std_function);
  const auto sig = real_ns(f, bus_signals2);
  const auto bus = real_ns(f, bus_dialkit);
  row("(a) direct std::function call", fn ? format("%.1f ns", *fn) : missing, "(reference)", "");
  row("(a) raw Boost.Signals2 emit, 1 slot", sig ? format("%.1f ns", *sig) : missing, "(reference)", "");
  std::optional<double> ratio;
  if (bus && sig && *sig > 0) ratio = *bus / *sig;
  row("(a) dialkit bus, 1 slot, inline delivery",
      bus ? format("%.1f ns", *bus) + (ratio ? format(" (%.2fx Signals2)", *ratio) : "") : missing,
      "<= 1.5x Signals2", verdict(ratio, 1.5, true));

  const auto median = counter(f, dispatcher_latency, "median_us");
  const auto p99 = counter(f, dispatcher_latency, "p99_us");
  row("(b) native thread -> slot, dispatcher, median", median ? format("%.1f us", *median) : missing,
      "<= 20 us", verdict(median, 20.0, true));
  row("(b) native thread -> slot, dispatcher, p99", p99 ? format("%.1f us", *p99) : missing,
      "(reported)", "");

  const auto dials = counter(f, mock_dials, "dials_per_s");
  row("(c) mock dials/s, virtual time, 12 events", dials ? format("%.0f /s", *dials) : missing,
      ">= 250000 /s", verdict(dials, 250000.0, false));

  {
    const auto none = real_ns(f, std::string(mock_crowd) + "/0");
    const auto many = real_ns(f, std::string(mock_crowd) + "/10000");
    std::optional<double> growth;
    if (none && many && *none > 0) growth = *many / *none;
    row("(c) mock dial with a timeout, 10k in flight",
        many ? format("%.1f us", *many / 1e3) + (growth ? format(" (%.2fx none)", *growth) : "") : missing,
        "<= 2x none in flight", verdict(growth, 2.0, true));
  }

  for (const auto& [name, label] : {std::pair{memory_10k, "(d) memory per idle connection, 1 slot, 10k"},
                                    std::pair{memory_100k, "(d) memory per idle connection, 1 slot, 100k"}}) {
    const auto rss = counter(f, name, "rss_B_per_conn");
    const auto heap = counter(f, name, "heap_B_per_conn");
    std::string measured = missing;
    if (rss && heap) measured = format("%.0f B RSS", *rss) + format(", %.0f B heap", *heap);
    row(label, measured, "<= 2048 B", verdict(rss, 2048.0, true));
  }

  for (const auto& [name, label] : {std::pair{scheduler_virtual, "virtual"}, std::pair{scheduler_real, "real"}}) {
    const auto none = real_ns(f, std::string(name) + "/0");
    const auto many = real_ns(f, std::string(name) + "/100000");
    std::optional<double> growth;
    if (none && many && *none > 0) growth = *many / *none;
    row(std::string("(c) ") + label + "-time post+cancel, 100k tasks waiting",
        many ? format("%.0f ns", *many) + (growth ? format(" (%.2fx none)", *growth) : "") : missing,
        "<= 10x none waiting", verdict(growth, 10.0, true));
  }

  const auto scan = real_ns(f, plugins_scan);
  const auto bare = real_ns(f, plugins_dlopen);
  const auto count = counter(f, plugins_scan, "loaded");
  std::optional<double> load_ratio;
  if (scan && bare && *bare > 0) load_ratio = *scan / *bare;
  row("(e) bare dlopen+dlclose of the same files", bare ? format("%.1f us", *bare / 1e3) : missing,
      "(reference)", "");
  row("(e) scan_plugins: discover, verify, load" + (count ? format(" (%.0f)", *count) : std::string()),
      scan ? format("%.1f us", *scan / 1e3) + (load_ratio ? format(" (%.2fx dlopen)", *load_ratio) : "")
           : missing,
      "<= 2x dlopen", verdict(load_ratio, 2.0, true));
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_summary(reporter.figures);
  benchmark::Shutdown();
  return 0;
}
