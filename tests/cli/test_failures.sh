#!/usr/bin/env bash
# A sandbox that fails, end to end (issue: one clear error, the run stored as
# failed with its reason, nothing left running): a load generator that dies,
# a readiness probe that never passes, a runtime that fails to start.
# The first two put a fake redis-benchmark / redis-cli first in PATH (hap
# finds its load tools there); the third uses crun where it cannot start a
# container on this kind of host (cgroups in hybrid mode).
source "$(dirname "$0")/lib.sh"
need_root
command -v runc >/dev/null || skip "runc is not installed"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed (reads the store)"

# measure_fails NAME PATTERN -- ARGS...: hapctl measure exits 1 with one error
# line matching PATTERN; the store holds the run as failed with that reason;
# no network namespace, container, tracefs instance or process of it is left.
measure_fails() {
  local name=$1 pattern=$2; shift 3
  local db="$work/$name.db" err="$work/$name.err" rc pid
  "$HAPCTL" measure --workload redis --mode syscalls --duration 2 --no-daemon --db "$db" "$@" \
    >/dev/null 2>"$err" &
  pid=$!
  wait "$pid"; rc=$?
  [ "$rc" = 1 ] && pass || fail "$name: exit $rc, want 1: $(cat "$err")"
  grep -qE -- "$pattern" "$err" && pass || fail "$name: error lacks /$pattern/: $(cat "$err")"
  # stderr also carries progress ("hapctl: ..."); the error is one line (and a hint).
  [ "$(grep -v '^hint: ' "$err" | grep -vc '^hapctl: ')" = 1 ] && pass || fail "$name: not one error line: $(cat "$err")"
  local row; row=$(sql "$db" "SELECT status || '|' || coalesce(reason, '') FROM runs")
  [[ "$row" == failed\|* ]] && pass || fail "$name: stored '$row', want a failed run"
  grep -qE -- "$pattern" <<<"$row" && pass || fail "$name: stored reason '$row' lacks /$pattern/"
  ip netns list | grep -q "^hap$pid" && fail "$name: network namespace hap$pid left" || pass
  [ -e "/sys/kernel/tracing/instances/hap_$pid" ] && fail "$name: tracefs instance hap_$pid left" || pass
  ls /run/hap/oci 2>/dev/null | grep -q "^hap-$pid-" && fail "$name: container state of $pid left" || pass
  pgrep -f "hap-$pid-|hap$pid" >/dev/null && fail "$name: processes of $pid left: $(pgrep -af "hap-$pid-|hap$pid")" || pass
}

# A load generator that dies: the probe (the real redis-cli) passes, the load fails.
mkdir -p "$work/load-bin" "$work/probe-bin"
printf '#!/bin/sh\necho "fake redis-benchmark: killed" >&2\nexit 137\n' >"$work/load-bin/redis-benchmark"
printf '#!/bin/sh\necho "Could not connect to Redis" >&2\nexit 1\n' >"$work/probe-bin/redis-cli"
chmod +x "$work/load-bin/redis-benchmark" "$work/probe-bin/redis-cli"
PATH="$work/load-bin:$PATH" measure_fails load_dies "redis-benchmark failed" -- --runtime runc

# A probe that never passes: redis-cli never answers PONG.
PATH="$work/probe-bin:$PATH" measure_fails probe_never "never answered its readiness probe within 3 s" -- \
  --runtime runc --ready-timeout 3

# A runtime that fails to start.
if ! command -v crun >/dev/null; then
  echo "note: crun is not installed: the runtime start failure is not exercised"
elif "$HAPCTL" doctor 2>/dev/null | grep -E '^runtime +crun ' | grep -q ' ok '; then
  echo "note: crun starts containers on this host: the runtime start failure is not exercised"
else
  measure_fails runtime_fails "crun|container" -- --runtime crun
fi
finish
