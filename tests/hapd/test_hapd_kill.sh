#!/usr/bin/env bash
# SIGKILL in the middle of a session served by hapd:
#  - of hapd: the next hapd start restores tracefs, removes the sandbox and
#    marks the run aborted; no child process of the dead hapd survives;
#  - of hapctl: hapd notices the client is gone, cancels the session (run
#    aborted, sandbox removed) and serves the next request.
. "$(dirname "$0")/lib.sh"
need_measure
start_hapd || { fail "hapd did not start"; finish; exit; }

# --- kill -9 hapd
db=$work/hapd-kill.db
measure_bg "$db" "$work/m1.log" --duration 120
wait_for "$work/m1.log" "tracing, load" || { fail "measurement did not reach tracing: $(tail -3 "$work/m1.log")"; finish; exit; }
dead=$hapd_pid
kids=$(pgrep -P "$dead" | tr '\n' ' ')
kill -KILL "$dead"; wait "$dead" 2>/dev/null; hapd_pid=
wait "$bg_pid"; rc=$?
[ "$rc" != 0 ] && grep -q "hapd ended the connection" "$work/m1.log" && pass || fail "hapctl after hapd died: rc $rc, $(tail -2 "$work/m1.log")"
[ "$(sql "$db" "select status from runs")" = running ] && pass || fail "before the next start the run should read running"
[ -n "$(leftovers_of "$dead")" ] && pass || fail "SIGKILL of hapd left nothing: the test proves nothing"
start_hapd || { fail "hapd did not restart"; finish; exit; }
[ -z "$(leftovers_of "$dead")" ] && pass || fail "left after the next hapd start: $(leftovers_of "$dead")"
[ "$(sql "$db" "select status from runs")" = aborted ] && pass || fail "run not aborted at hapd's start: $(sql "$db" "select status, reason from runs")"
grep -q "marked 1 run(s) of a dead hapd as aborted" "$work/hapd.log" && pass || fail "hapd did not say it marked the run aborted"
grep -q "stale tracefs instance hap_$dead" "$work/hapd.log" && pass || fail "hapd did not say it removed hap_$dead"
survivors=""
# A zombie is gone (it waits for init to reap it).
for k in $kids; do st=$(ps -o stat= -p "$k" 2>/dev/null); [ -n "$st" ] && [ "${st#Z}" = "$st" ] && survivors+="$k "; done
[ -z "$survivors" ] && pass || fail "children of the dead hapd survive: $(ps -o pid,ppid,args -p "$(echo $survivors | tr " " ",")")"

# --- kill -9 hapctl
db=$work/client-kill.db
measure_bg "$db" "$work/m2.log" --duration 120
wait_for "$work/m2.log" "tracing, load" || { fail "measurement did not reach tracing: $(tail -3 "$work/m2.log")"; finish; exit; }
kill -KILL "$bg_pid"; wait "$bg_pid" 2>/dev/null
wait_for "$work/hapd.log" "client gone: run aborted" 300 && pass || fail "hapd did not notice the client was gone"
for _ in $(seq 100); do [ "$(sql "$db" "select status from runs")" = aborted ] && break; sleep 0.1; done
[ "$(sql "$db" "select status from runs")" = aborted ] && pass || fail "client's run not aborted: $(sql "$db" "select status, reason from runs")"
[ -z "$(leftovers_of "$hapd_pid")" ] && pass || fail "session of the dead client left: $(leftovers_of "$hapd_pid")"
kill -0 "$hapd_pid" && pass || fail "hapd died with its client"
"$HAPCTL" measure --runtime runc --workload redis --mode syscalls --duration 1 --db "$db" >"$work/m3.log" 2>&1 &&
  [ "$(sql "$db" "select status from runs where id = 2")" = complete ] && pass || fail "the next request was not served: $(tail -2 "$work/m3.log")"

# --- SIGTERM of hapd mid-run: the session unwinds before hapd exits.
db=$work/term.db
measure_bg "$db" "$work/m4.log" --duration 120
wait_for "$work/m4.log" "tracing, load" || { fail "measurement did not reach tracing"; finish; exit; }
term=$hapd_pid
stop_hapd
wait "$bg_pid"; rc=$?
[ "$rc" = 130 ] && grep -q "hapd stopped by signal 15" "$work/m4.log" && pass || fail "client after SIGTERM of hapd: rc $rc $(tail -2 "$work/m4.log")"
[ "$(sql "$db" "select status from runs")" = aborted ] && pass || fail "run not aborted by SIGTERM: $(sql "$db" "select status, reason from runs")"
[ -z "$(leftovers_of "$term")" ] && pass || fail "SIGTERM of hapd left: $(leftovers_of "$term")"
[ ! -e "$HAP_SOCKET" ] && pass || fail "socket left after SIGTERM"
finish
