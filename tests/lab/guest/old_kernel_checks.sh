#!/bin/bash
# Runs inside a lab VM booted on another kernel (tests/lab/test_lab_kernel.sh):
# trace and measure must finish there, each within a bound. Linux 5.10's
# set_event_pid returns 0 for the "\n" after a pid; hap wrote it again for
# ever (synchronize_rcu each time) and every command hung before it began.
set -u
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
timed() {  # NAME BOUND_S -- hapctl args
  local name=$1 bound=$2 t0 rc; shift 3
  t0=$(date +%s)
  timeout -k 5 "$bound" "$HAPCTL" "$@" >/tmp/out 2>&1
  rc=$?
  grep -v '^hapctl: \[' /tmp/out | tail -n 4 | sed 's/^/  /'
  [ "$rc" = 0 ] && ok "$name: exit 0 after $(( $(date +%s) - t0 )) s" || bad "$name: exit $rc after $(( $(date +%s) - t0 )) s (bound ${bound} s)"
}
echo "kernel $(uname -r)"
timed "trace --mode syscalls" 120 -- trace --mode syscalls -- /bin/ls /
timed "trace --mode function_graph,syscalls" 180 -- trace --mode function_graph,syscalls -- /bin/ls /
timed "measure runc redis, function_graph + syscalls" 400 -- \
  measure --runtime runc --workload redis --mode function_graph,syscalls --reps 1 --duration 3
"$HAPCTL" runs
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
