# Shared by the CLI tests: hapctl as a user runs it. Exit 77 = skipped.
set -u
HAPCTL=${HAPCTL:?set HAPCTL to the hapctl binary}
# shellcheck source=../lib/checks.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/checks.sh"
need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }

# expect_fail CODE PATTERN -- CMD...: exit code CODE, stderr matching PATTERN,
# and the error is one line (plus at most one hint line).
expect_fail() {
  local code=$1 pattern=$2; shift 3
  local out rc
  out=$("$@" 2>&1 >/dev/null); rc=$?
  if [ "$rc" != "$code" ]; then fail "$* -> exit $rc, want $code ($out)"; return; fi
  if ! grep -qE -- "$pattern" <<<"$out"; then fail "$* -> '$out' lacks /$pattern/"; return; fi
  local lines; lines=$(grep -vc '^hint: ' <<<"$out")
  if [ "$lines" != 1 ]; then fail "$* -> $lines error lines, want 1: $out"; return; fi
  pass
}

# sql DB QUERY: read the store with the sqlite3 shell.
sql() { sqlite3 "$1" "$2"; }
