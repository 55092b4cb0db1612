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

# A gVisor platform that cannot start (as systrap and ptrace cannot under
# kernel.yama.ptrace_scope=3, which only a lab guest may set): a runsc first
# in PATH that is the real one for every command but `run` on systrap, where
# it fails in runsc's shape (a glog FATAL line, then the error, exit 128)
# with a reason of the test's own. hap must say why in one
# line naming the platform, store the run as failed, and leave nothing.
if real_runsc=$(command -v runsc) && "$real_runsc" help platforms 2>/dev/null | grep -qx systrap; then
  mkdir -p "$work/runsc-bin"
  cat >"$work/runsc-bin/runsc" <<EOF2
#!/bin/sh
case " \$* " in
  *" --platform=systrap "*" run "*)
    echo "W1130 03:32:26.542521    9347 main.go:231] FATAL ERROR: creating container: cannot create sandbox: systrap: test platform failure" >&2
    echo "creating container: cannot create sandbox: systrap: test platform failure" >&2
    exit 128 ;;
esac
exec "$real_runsc" "\$@"
EOF2
  chmod +x "$work/runsc-bin/runsc"
  PATH="$work/runsc-bin:$PATH" measure_fails platform_fails \
    "runsc \(platform systrap\) failed to start the redis container: creating container: cannot create sandbox: systrap: test platform failure" \
    -- --runtime runsc --platform systrap
else
  echo "note: no runsc with systrap here: the platform start failure is not exercised"
fi

# A runtime that fails to start.
if ! command -v crun >/dev/null; then
  echo "note: crun is not installed: the runtime start failure is not exercised"
elif "$HAPCTL" doctor 2>/dev/null | grep -E '^runtime +crun ' | grep -q ' ok '; then
  echo "note: crun starts containers on this host: the runtime start failure is not exercised"
else
  measure_fails runtime_fails "crun|container" -- --runtime crun
fi
finish
