# shellcheck shell=bash
# Shared by the shell tests (tests/cli, tests/scripts): a work directory
# removed at exit, checks counted as they pass or fail, and exit 77 for a
# skip, which ctest reports as skipped (SKIP_RETURN_CODE 77).
set -u
work=$(mktemp -d "/tmp/hap-${0##*/}.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
checks=0

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { checks=$((checks + 1)); }

finish() {
  echo "$checks passed, $failures failed"
  [ "$failures" = 0 ]
}
