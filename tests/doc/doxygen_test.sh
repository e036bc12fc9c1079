#!/usr/bin/env bash
# The API reference test (label docs): the `docs` target's Doxyfile reads every installed
# public header, the real headers build without a warning, and each of them is checked: with
# its doc comments taken out (in a copy), Doxygen fails and names that header. So "an
# undocumented public symbol fails the docs" cannot pass because a header was never read.
# Usage: doxygen_test.sh DOXYGEN DOXYFILE WORK_DIR INSTALLED_HEADER_DIR
# Exits 77 (a skip) when DOXYGEN is empty: doxygen is not installed (apt-get install doxygen).
set -euo pipefail
doxygen="$1"
doxyfile="$2"
work="$3"
installed="$4"

fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

if [[ -z "$doxygen" ]]; then
  echo "SKIPPED: doxygen is not installed (apt-get install doxygen, or ./dev setup)"
  exit 77
fi
[[ -f "$doxyfile" ]] || fail "no $doxyfile (configure with doxygen installed)"
[[ -d "$installed" ]] || fail "no installed headers in $installed"

# The headers Doxygen reads: the INPUT line of the Doxyfile, quoted paths.
input_line="$(sed -n 's/^INPUT *= *//p' "$doxyfile")"
mapfile -t inputs < <(xargs printf '%s\n' <<<"$input_line")
((${#inputs[@]} > 0)) || fail "the Doxyfile has no INPUT"

# 1. Every installed header is an input, with the same content; and every input is installed
#    (a header Doxygen documents that users never get is not API either).
declare -A by_name=()
for f in "${inputs[@]}"; do
  [[ -f "$f" ]] || fail "INPUT names $f, which is not a file"
  by_name["$(basename "$f")"]="$f"
done
for h in "$installed"/*.hpp; do
  name="$(basename "$h")"
  src="${by_name[$name]:-}"
  [[ -n "$src" ]] || fail "the installed header $name is not read by the docs target (cmake/DialkitDocs.cmake)"
  cmp -s "$h" "$src" || fail "the installed $name differs from the docs target's $src"
done
for f in "${inputs[@]}"; do
  [[ -f "$installed/$(basename "$f")" ]] || fail "the docs target reads $f, which is not installed"
done

# run_doxygen OUT [INPUT FILES...]: the real Doxyfile, its INPUT replaced (and no HTML written)
# when files are given, its output in a scratch directory. Prints Doxygen's output; returns its exit status.
run_doxygen() {
  local out="$1"
  shift
  rm -rf "$out" && mkdir -p "$out"
  {
    cat "$doxyfile"
    echo "OUTPUT_DIRECTORY = \"$out\""
    if (($# > 0)); then
      echo "GENERATE_HTML = NO"  # the warnings come all the same, sooner
      printf 'INPUT = '
      printf '"%s" ' "$@"
      echo
    fi
  } | (cd "$out" && "$doxygen" - 2>&1)
}

# 2. The real headers: no warning.
out="$(run_doxygen "$work/real")" || fail "Doxygen fails on the real headers:
$out"
[[ -f "$work/real/html/index.html" ]] || fail "Doxygen wrote no html/index.html"
echo "== the real headers: no warning"

# 3. Each header with its doc comments taken out of a copy, all but its leading `/// @file`
#    block (an undocumented file's members are never reported, so without the block the check
#    would pass for a header whose every symbol is undocumented).
strip_docs() {
  awk 'NR == 1 && /^\/\/\/ @file/ { head = 1 }
       head && /^\/\/\// { print; next }
       { head = 0; line = $0
         if (line ~ /^[ \t]*\/\/\//) sub(/\/\/\/.*$/, "//", line)
         else sub(/[ \t]*\/\/\/<.*$/, "", line)
         print line }' "$1"
}
copies="$work/copies"
for i in "${!inputs[@]}"; do
  victim="${inputs[$i]}"
  name="$(basename "$victim")"
  rm -rf "$copies" && mkdir -p "$copies"
  files=()
  for j in "${!inputs[@]}"; do
    mkdir -p "$copies/$j"
    cp "${inputs[$j]}" "$copies/$j/"
    files+=("$copies/$j/$(basename "${inputs[$j]}")")
  done
  stripped="$copies/$i/$name"
  strip_docs "$victim" >"$stripped"
  grep -q '///' "$victim" || fail "$name has no doc comment at all"
  left="$(sed '/^\/\/\/ @file/,/^[^/]/d' "$stripped")"
  [[ "$left" != *///* ]] || fail "doc comments left in the copy of $name"
  if out="$(run_doxygen "$work/stripped" "${files[@]}")"; then
    fail "Doxygen passed with the doc comments of $name removed: is it read at all?"
  fi
  grep -qF "$name" <<<"$out" || fail "Doxygen failed without naming $name:
$out"
  echo "== $name undocumented: Doxygen fails ($(grep -cF "$name" <<<"$out") warnings name it)"
done
echo "== docs: OK"
