#!/usr/bin/env bash
# Runs the fuzzers of a built fuzz tree (`./dev fuzz` and the fuzz phase of `./dev test` call it
# once the tree is built). The fuzzers are tests/fuzz/fuzz_NAME.cpp, built as
# BUILD_DIR/tests/fuzz/fuzz_NAME, each with its seed corpus in tests/fuzz/corpus/NAME/.
#
# Usage:
#   run.sh list [NAME...]
#       prints the fuzzers asked for, one a line (every one, with none); an unknown name is an
#       error (exit 2)
#   run.sh run BUILD_DIR SECONDS RESULTS [NAME...]
#       runs each fuzzer (every one, with none) for SECONDS on a scratch copy of its seed corpus
#       in BUILD_DIR/fuzz-runs/NAME/ (the repository's corpus never grows by itself), appends
#       "NAME: result" to the file RESULTS, and exits 1 if any of them found a crash, a leak, a
#       timeout or a broken property, naming the input that caused it
#
# The sanitizers' settings come from the environment (./dev sets them, with ASAN_SYMBOLIZER_PATH
# for symbolized reports); leak detection is on unless ASAN_OPTIONS says otherwise.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'fuzz: %s\n' "$*" >&2; exit 2; }

# fuzz_names NAME...: the fuzzers asked for (all, with none), checked against the corpora.
fuzz_names() {
  local name
  if (($# == 0)); then
    for name in "$HERE"/corpus/*/; do
      name="${name%/}"
      printf '%s\n' "${name##*/}"
    done
    return 0
  fi
  for name in "$@"; do
    [[ -d "$HERE/corpus/$name" ]] || die "no fuzzer $name (no tests/fuzz/corpus/$name)"
    printf '%s\n' "$name"
  done
}

# run_fuzzer NAME SECONDS: one bounded run on a scratch copy of the seed corpus. Appends
# "NAME: result" to $RESULTS; fails on any finding.
run_fuzzer() {
  local name="$1" seconds="$2"
  local exe="$BUILD_DIR/tests/fuzz/fuzz_$name" dir="$BUILD_DIR/fuzz-runs/$name"
  if [[ ! -x "$exe" ]]; then
    # pppd_protocol and nm_tracker need their backend's packages (./dev setup installs them).
    printf '%s\n' "$name: FAILED (not built: $exe)" >>"$RESULTS"
    say "fuzz $name: not built ($exe)"
    return 1
  fi
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/findings"
  cp "$HERE/corpus/$name"/* "$dir/corpus/"
  say "fuzz $name: ${seconds}s on a copy of tests/fuzz/corpus/$name in ${dir#"$ROOT"/}"
  local rc=0
  # -timeout: one input taking this long is a hang. Findings land in findings/.
  (cd "$dir" && "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/findings/" corpus >"$dir/log" 2>&1) || rc=$?
  local runs rate
  runs="$(awk '/^stat::number_of_executed_units:/ { print $NF }' "$dir/log" | tail -n 1)"
  rate="$(awk '/^stat::average_exec_per_sec:/ { print $NF }' "$dir/log" | tail -n 1)"
  local findings=()
  mapfile -t findings < <(find "$dir/findings" -type f 2>/dev/null)
  if ((rc == 0 && ${#findings[@]} == 0)); then
    printf '%s\n' "$name: passed (${runs:-?} runs in ${seconds}s, ${rate:-?}/s)" >>"$RESULTS"
    say "fuzz $name: passed, ${runs:-?} executions (${rate:-?}/s), no crash, leak or timeout"
    return 0
  fi
  # What went wrong: libFuzzer's and the sanitizers' own lines, then the input to reproduce it.
  grep -E 'ERROR: |SUMMARY: |property failed|runtime error|Test unit written|==[0-9]+==' "$dir/log" | head -n 20 || true
  local where="${findings[*]:-(no input saved; see the log)}"
  printf '%s\n' "$name: FAILED (exit $rc; input: $where)" >>"$RESULTS"
  say "fuzz $name: FAILED (exit $rc). Log: $dir/log"
  say "fuzz $name: the input: $where (reproduce: $exe INPUT)"
  return 1
}

command="${1:-}"
(($#)) && shift
case "$command" in
  list)
    fuzz_names "$@"
    ;;
  run)
    (($# >= 3)) || die "usage: run.sh run BUILD_DIR SECONDS RESULTS [NAME...]"
    BUILD_DIR="$1" seconds="$2" RESULTS="$3"
    shift 3
    [[ "$seconds" =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a whole number (got '$seconds')"
    names="$(fuzz_names "$@")"
    status=0
    while read -r name; do
      run_fuzzer "$name" "$seconds" || status=1
    done <<<"$names"
    exit "$status"
    ;;
  *)
    die "usage: run.sh list [NAME...] | run.sh run BUILD_DIR SECONDS RESULTS [NAME...]"
    ;;
esac
