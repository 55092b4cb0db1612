#!/usr/bin/env bash
# SIGINT and SIGKILL during a measurement: the run is stored as aborted, no
# tracefs instance survives the next start, no container or netns remains.
. "$(dirname "$0")/lib.sh"
need_root
command -v runc >/dev/null || skip "runc is not installed"
command -v redis-benchmark >/dev/null || skip "redis-tools is not installed"
tracing=/sys/kernel/tracing
[ -d "$tracing/instances" ] || skip "tracefs is not mounted"

# Starts a long measurement in the background; waits until it is tracing.
start_measure() {
  local db=$1 log=$2
  "$HAPCTL" measure --runtime "${RUNTIME:-runc}" ${PLATFORM:+--platform "$PLATFORM"} --workload redis --mode syscalls \
    --duration 120 --db "$db" >"$log" 2>&1 &
  measure_pid=$!
  for _ in $(seq 600); do
    grep -q "tracing, load" "$log" && return 0
    kill -0 "$measure_pid" 2>/dev/null || { cat "$log"; return 1; }
    sleep 0.2
  done
  return 1
}

leftovers_of() {  # names carrying the pid of hapctl $1
  local p=$1
  ls "$tracing/instances" | grep -x "hap_$p"
  ip netns list | grep -E "^hap${p}[cw][0-9]+"
  ls /run/hap/oci 2>/dev/null | grep "^hap-$p-"
  pgrep -f "/run/hap/oci/hap-$p-" || true
}

# --- SIGINT: hapctl tears down itself.
db=$work/int.db
start_measure "$db" "$work/int.log" || { fail "measurement did not reach tracing"; finish; exit; }
kill -INT "$measure_pid"
wait "$measure_pid"; rc=$?
[ "$rc" = 130 ] && pass || fail "SIGINT exit $rc, want 130: $(tail -3 "$work/int.log")"
[ "$(sql "$db" "select status from runs")" = aborted ] && pass || fail "run not aborted: $(sql "$db" "select status, reason from runs")"
[ -z "$(leftovers_of "$measure_pid")" ] && pass || fail "left after SIGINT: $(leftovers_of "$measure_pid")"

# --- SIGKILL: nothing runs at exit; the next start cleans up.
db=$work/kill.db
start_measure "$db" "$work/kill.log" || { fail "measurement did not reach tracing"; finish; exit; }
killed=$measure_pid
kill -KILL "$killed"
wait "$killed" 2>/dev/null
[ "$(sql "$db" "select status from runs")" = running ] && pass || fail "before the next start the run should read running"
[ -n "$(leftovers_of "$killed")" ] && pass || fail "SIGKILL left nothing: the test proves nothing"
# The next start: a short measurement with the same store.
"$HAPCTL" measure --runtime runc --workload redis --mode syscalls --duration 1 --db "$db" >"$work/next.log" 2>&1 ||
  fail "the next measurement failed: $(tail -3 "$work/next.log")"
[ "$(sql "$db" "select status from runs where id = 1")" = aborted ] && pass || fail "killed run not aborted"
[ "$(sql "$db" "select status from runs where id = 2")" = complete ] && pass || fail "next run not complete"
[ -z "$(leftovers_of "$killed")" ] && pass || fail "left after the next start: $(leftovers_of "$killed")"
grep -q "left by a dead hapctl\|stale tracefs instance" "$work/next.log" && pass || fail "the next start did not say what it cleaned"

# --- SIGINT during the untraced baseline: the traced run was stored complete
# before the baseline began and stays so; the baseline it lacks is said.
db=$work/untraced-int.db
log=$work/untraced-int.log
"$HAPCTL" measure --runtime runc --workload redis --mode syscalls --duration 6 --db "$db" >"$log" 2>&1 &
measure_pid=$!
for _ in $(seq 300); do
  grep -q "untraced baseline:" "$log" && break
  kill -0 "$measure_pid" 2>/dev/null || break
  sleep 0.2
done
if grep -q "untraced baseline:" "$log"; then
  sleep 2
  kill -INT "$measure_pid"
  wait "$measure_pid"; rc=$?
  [ "$rc" = 130 ] && pass || fail "SIGINT in the baseline: exit $rc, want 130: $(tail -3 "$log")"
  [ "$(sql "$db" "select status || '/' || coalesce(throughput_untraced, 'none') || '/' || json_extract(settings, '$.untraced.error') from runs")" = complete/none/interrupted ] &&
    pass || fail "after SIGINT in the baseline: $(sql "$db" "select status, throughput_untraced, settings from runs")"
  [ -z "$(leftovers_of "$measure_pid")" ] && pass || fail "left after SIGINT in the baseline: $(leftovers_of "$measure_pid")"
else
  wait "$measure_pid"
  fail "the measurement never reached its untraced baseline: $(tail -3 "$log")"
fi

# --- gVisor's systrap platform (runsc's default since 2023): its sentry, gofer
# and stub processes carry the container's --root below /run/hap/oci, so
# leftovers_of sees any that survive. SIGINT, then SIGKILL + the next start.
if ! command -v runsc >/dev/null; then
  echo "note: runsc is not installed; the systrap case is not run"
elif ! "$HAPCTL" doctor 2>/dev/null | grep -E '^runtime +runsc --platform=systrap ' | grep -q ' ok '; then
  echo "note: runsc --platform=systrap does not run here ($("$HAPCTL" doctor 2>/dev/null | grep -E 'runsc --platform=systrap' || echo "this runsc has no systrap")); not run"
else
  db=$work/systrap-int.db
  if RUNTIME=runsc PLATFORM=systrap start_measure "$db" "$work/systrap-int.log"; then
    kill -INT "$measure_pid"
    wait "$measure_pid"; rc=$?
    [ "$rc" = 130 ] && pass || fail "systrap: SIGINT exit $rc, want 130: $(tail -3 "$work/systrap-int.log")"
    [ "$(sql "$db" "select status || '/' || platform from runs")" = aborted/systrap ] && pass ||
      fail "systrap run not aborted: $(sql "$db" "select status, platform, reason from runs")"
    [ -z "$(leftovers_of "$measure_pid")" ] && pass || fail "systrap: left after SIGINT: $(leftovers_of "$measure_pid")"
  else
    fail "systrap measurement did not reach tracing: $(tail -3 "$work/systrap-int.log")"
  fi
  db=$work/systrap-kill.db
  if RUNTIME=runsc PLATFORM=systrap start_measure "$db" "$work/systrap-kill.log"; then
    killed=$measure_pid
    kill -KILL "$killed"
    wait "$killed" 2>/dev/null
    [ -n "$(pgrep -f "/run/hap/oci/hap-$killed-" || true)" ] && pass || fail "systrap: SIGKILL left no sandbox: the test proves nothing"
    "$HAPCTL" measure --runtime runc --workload redis --mode syscalls --duration 1 --db "$db" >"$work/systrap-next.log" 2>&1 ||
      fail "systrap: the next measurement failed: $(tail -3 "$work/systrap-next.log")"
    [ -z "$(leftovers_of "$killed")" ] && pass || fail "systrap: left after the next start: $(leftovers_of "$killed")"
    [ "$(sql "$db" "select status from runs where id = 1")" = aborted ] && pass || fail "killed systrap run not aborted"
  else
    fail "systrap measurement did not reach tracing: $(tail -3 "$work/systrap-kill.log")"
  fi
fi

# --- SIGKILL with a private dockerd: its daemon, containerd, shim and the
# container must all be gone after the next start; under docker:runsc also
# the network holder container and gVisor's sandbox and gofer.
docker_runtimes=(docker)
command -v runsc >/dev/null && docker_runtimes+=(docker:runsc)
if command -v dockerd >/dev/null && command -v docker >/dev/null; then
  for rt in "${docker_runtimes[@]}"; do
    db=$work/dkill-${rt/:/-}.db
    if RUNTIME=$rt start_measure "$db" "$work/dkill.log"; then
      killed=$measure_pid
      dir=/run/hap/dockerd-$killed
      [ -d "$dir" ] && pass || fail "$rt: no private dockerd directory $dir"
      kill -KILL "$killed"
      wait "$killed" 2>/dev/null
      "$HAPCTL" measure --runtime runc --workload redis --mode syscalls --duration 1 --db "$db" >"$work/dnext.log" 2>&1 ||
        fail "the next measurement failed: $(tail -3 "$work/dnext.log")"
      [ ! -e "$dir" ] && pass || fail "$rt: $dir survived the next start"
      survivors=$(pgrep -f "$dir" || true)
      [ -z "$survivors" ] && pass || fail "$rt: processes of the dead dockerd survive: $(ps -o pid,args -p "${survivors//$'\n'/,}")"
      [ -z "$(leftovers_of "$killed")" ] && pass || fail "left after the next start: $(leftovers_of "$killed")"
      [ "$(sql "$db" "select status from runs where id = 1")" = aborted ] && pass || fail "killed $rt run not aborted"
    else
      fail "$rt measurement did not reach tracing: $(tail -3 "$work/dkill.log")"
    fi
  done
else
  echo "note: docker.io not installed; the private dockerd case is not run"
fi
finish
