#!/bin/bash
# Instructions and heap allocations per event through the bus (benchmark (a), inline
# delivery), counted by valgrind's callgrind, which repeats exactly where wall-clock figures
# swing. Collects only inside ConnectionCore::on_report, the path of one report from the
# backend's side to the slot.
#   tests/bench/instructions_per_event.sh [BUILD_DIR]   (default: build-release, else build)
set -euo pipefail
build=${1:-}
if [[ -z $build ]]; then
  build=build-release
  [[ -x $build/tests/bench/dialkit_bench ]] || build=build
fi
bench=$build/tests/bench/dialkit_bench
[[ -x $bench ]] || { echo "no $bench: build the dialkit_bench target first" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" \
  --toggle-collect='dialkit::detail::ConnectionCore::on_report(unsigned int, dialkit::NativeReport)' \
  "$bench" --benchmark_filter='^bus/dialkit_inline$' --benchmark_min_time=0.02 >/dev/null 2>"$out/valgrind.txt"
callgrind_annotate --tree=caller "$out/cg.out" >"$out/tree.txt"
python3 - "$out/tree.txt" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
total = int(re.search(r"^\s*([\d,]+) .*PROGRAM TOTALS", text, re.M).group(1).replace(",", ""))
events = news = 0
# In caller-tree form each block lists a function's callers with their call counts, then the
# function itself on the line marked '*'.
for block in text.split("\n\n"):
    own = [line for line in block.split("\n") if "*  " in line]
    if not own:
        continue
    calls = sum(int(n) for n in re.findall(r"\((\d+)x\)", block))
    if re.search(r"operator new\(unsigned long\) \[", own[0]):
        news += calls
    if re.search(r"ConnectionCore::on_report\(unsigned int, dialkit::NativeReport\) \[", own[0]):
        events += calls
if events == 0:
    sys.exit("no event was counted: is the benchmark built with symbols?")
print(f"events={events} instructions/event={total // events} operator_new/event={news / events:.2f}")
PY
