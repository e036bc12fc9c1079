#!/usr/bin/env bash
# own_functions.sh LIBRARY: fails if the shared library calls, through its PLT, a function it
# defines itself. Such a call goes to whichever loaded object exports the symbol first: for
# the inline functions of the standard library (std::shared_ptr's reference counting, say),
# that can be another library built with other flags, such as libsdbus-c++ linked before
# dialkit into a program. Under ThreadSanitizer, core's reference counts then ran in
# uninstrumented code and a weak_ptr released on another thread was reported as a race.
set -euo pipefail
lib=$1
for tool in nm readelf c++filt; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool (binutils) is not installed"; exit 77; }
done
defined=$(nm -D --defined-only "$lib" | awk 'NF >= 3 && ($2 == "T" || $2 == "W" || $2 == "i") {print $3}' | sort -u)
called=$(readelf -rW "$lib" | awk '/JUMP_SLO/ {print $5}' | sed 's/@.*//' | sort -u)
both=$(comm -12 <(printf '%s\n' "$defined") <(printf '%s\n' "$called"))
if [[ -n "$both" ]]; then
  echo "$lib calls $(printf '%s\n' "$both" | wc -l) of its own functions through the PLT, e.g.:"
  printf '%s\n' "$both" | sed -n '1,10p' | c++filt | sed 's/^/  /'
  exit 1
fi
echo "$lib: every function it defines is called directly ($(printf '%s\n' "$defined" | wc -l) defined)"
