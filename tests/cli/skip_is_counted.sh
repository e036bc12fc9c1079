#!/bin/sh
# A test whose prerequisite is missing must reach ctest as skipped (exit 77) with its reason,
# not as passed. Runs the CLI suite's core-file test where its prerequisite is missing: the
# core-size hard limit is 0 and the process may not raise it (as a user who is not root).
# $1: the dialkit_cli_tests binary.
set -u
tests="$1"
# Catch separates test names at commas: escaped.
name='dial\, which handles passwords\, writes no core file'
ulimit -c 0 && ulimit -H -c 0 || { echo "cannot lower the core-size limit"; exit 1; }
if [ "$(id -u)" = 0 ]; then
  # root could raise it again: run without CAP_SYS_RESOURCE.
  if ! command -v setpriv >/dev/null 2>&1; then
    echo "SKIPPED: setpriv (util-linux) is missing, so root cannot give up CAP_SYS_RESOURCE"
    exit 77
  fi
  output=$(setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource "$tests" "$name" 2>&1)
else
  output=$("$tests" "$name" 2>&1)
fi
code=$?
printf '%s\n' "$output"
if [ "$code" -ne 77 ]; then
  echo "expected exit 77 (skipped), got $code"
  exit 1
fi
case "$output" in
  *"SKIPPED: the core-size limit cannot be raised"*) exit 0 ;;
  *) echo "the skip does not say why"; exit 1 ;;
esac
