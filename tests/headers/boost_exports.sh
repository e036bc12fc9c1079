#!/usr/bin/env bash
# boost_exports.sh FILE...: each ELF shared object (libdialkit-core, a backend plugin) must
# export no symbol of Boost: a program that uses another Boost than dialkit's would otherwise
# have its Boost's symbols bound into dialkit's library, or dialkit's into the program (one
# definition rule broken between two Boost versions). Every demangled exported name that
# mentions `boost::` is listed (functions, typeinfo, vtables, guard variables, std templates
# of Boost types) and the check fails. The dynamic symbol table is what counts, so the check
# holds for stripped files too. A file must still export its dialkit symbols (libdialkit-core:
# the runtime; a plugin: its entry point), so that a library exporting nothing cannot pass.
set -euo pipefail
(($#)) || { echo "usage: $0 FILE..." >&2; exit 2; }
status=0
for f in "$@"; do
  [[ -f "$f" ]] || { echo "FAILED: $f: no such file" >&2; status=1; continue; }
  names="$(nm -D --defined-only -C "$f" | sed -E 's/^[0-9a-fA-F]* +[A-Za-z] //')"
  boost="$(grep -F 'boost::' <<<"$names" || true)"
  if [[ -n "$boost" ]]; then
    echo "FAILED: $f exports $(wc -l <<<"$boost") Boost symbols, among them:" >&2
    head -20 <<<"$boost" >&2
    status=1
  fi
  if ! grep -qE '^(dialkit::|typeinfo for dialkit::|dialkit_abi[0-9])' <<<"$names"; then
    echo "FAILED: $f exports no dialkit symbol" >&2
    status=1
  fi
  [[ -n "$boost" ]] || echo "$f: $(wc -l <<<"$names") exported symbols, none of Boost"
done
exit "$status"
