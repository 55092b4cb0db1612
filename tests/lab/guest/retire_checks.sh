#!/bin/bash
# Runs inside the lab VM (scripts/lab/run --script): the retiring capture
# (--mode function_retire, issue 22) beside a full `function` capture of the
# same tasks in a second tracefs instance, in one boot:
#   1. redis-server under `hapctl trace --mode function_retire --wait-signal
#      --duration D`; instance `full` (function tracer, trace_clock mono, the
#      same pid filter with function-fork) is turned on before SIGUSR1 opens
#      hapctl's window and off after it closes. Load, then a BGSAVE late in
#      the window (a forked child and fsync: functions first reached late).
#      full's records are written to OUT/full.txt; the host cuts them to the
#      window stored with the run and compares the sets
#      (tests/lab/test_lab_retire.sh).
#   2. tracefs after a normal end, after SIGTERM, and after kill -9 and the
#      next start: no hap instance, nothing in set_ftrace_notrace, and an
#      entry a user put in the top level's list untouched.
# $HAPCTL is hapctl, $HAP_DB the guest's store (brought back as OUT/hap.db).
set -u
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
T=/sys/kernel/tracing
out=$PWD
duration=${HAP_LAB_RETIRE_DURATION:-8}

# A user's own entry in the top level's list: hap must leave it as it is.
user_fn=$(grep -m1 -x 'cmdline_proc_show' $T/available_filter_functions || sed -n '100p' $T/available_filter_functions)
echo "$user_fn" > $T/set_ftrace_notrace
top_before=$(cat $T/set_ftrace_notrace)

# --- 1. side by side
mkdir -p /var/lib/hap-retire
redis=(redis-server --port 16400 --save '' --appendonly no --bind 127.0.0.1 --dir /var/lib/hap-retire)
"$HAPCTL" trace --mode function_retire --wait-signal --duration "$duration" -- "${redis[@]}" >"$out/retire-trace.log" 2>&1 &
hap=$!
for _ in $(seq 600); do redis-cli -p 16400 ping 2>/dev/null | grep -q PONG && break; sleep 0.2; done
rpid=$(pgrep -x -n redis-server)
F=$T/instances/full
rmdir $F 2>/dev/null; mkdir $F
echo 0 > $F/tracing_on
echo mono > $F/trace_clock
echo 131072 > $F/buffer_size_kb
echo 0 > $F/options/overwrite
echo 1 > $F/options/function-fork
for t in /proc/$rpid/task/*; do echo "${t##*/}" >> $F/set_ftrace_pid; done
echo function > $F/current_tracer
echo 1 > $F/tracing_on
sleep 0.5
kill -USR1 $hap
t0=$SECONDS
# Loads bounded in time: under two function tracers redis serves ~100
# requests/s, and a redis-benchmark still running when the window closes
# (hapctl stops redis) retries for ever.
timeout -s INT 3 redis-benchmark -p 16400 -q -t set -c 5 -n 100000000 2>/dev/null | tr '\r' '\n' | grep -a overall | tail -1 | sed 's/^/  load: /'
# Late in the window: BGSAVE forks a child that writes and fsyncs the dump.
while [ $((SECONDS - t0)) -lt $((duration / 2)) ]; do sleep 0.2; done
timeout 5 redis-cli -p 16400 bgsave >/dev/null
timeout -s INT 2 redis-benchmark -p 16400 -q -t get -c 2 -n 100000000 >/dev/null 2>&1
wait $hap
rc=$?
echo 0 > $F/tracing_on
cat "$out/retire-trace.log" | sed 's/^/  /' | tail -8
[ "$rc" = 0 ] && ok "retiring trace exits 0" || bad "retiring trace exit $rc"
grep -q 'retired [1-9][0-9]* functions by index' "$out/retire-trace.log" && ok "functions retired by index" ||
  bad "no functions retired by index"
# full's records, and what it lost (its stats per CPU).
cat $F/per_cpu/cpu*/stats | awk '/^(overrun|dropped events|commit overrun):/ {n += $NF} END {print n+0}' >"$out/full-lost.txt"
cat $F/trace >"$out/full.txt"
echo "  full: $(grep -vc '^#' "$out/full.txt") records, $(cat "$out/full-lost.txt") lost"
echo nop > $F/current_tracer
rmdir $F
redis-cli -p 16400 shutdown nosave >/dev/null 2>&1

leftovers() {  # WHAT: no hap instance, no notrace entry, the user's top-level entry intact
  local what=$1 inst
  inst=$(ls $T/instances | grep '^hap_' | tr '\n' ' ')
  [ -z "$inst" ] && ok "$what: no hap instance left" || bad "$what: instances left: $inst"
  [ "$(cat $T/set_ftrace_notrace)" = "$top_before" ] && ok "$what: top-level set_ftrace_notrace as the user left it" ||
    bad "$what: top-level set_ftrace_notrace is now: $(head -3 $T/set_ftrace_notrace | tr '\n' ' ')"
  ls /run/hap/knobs-* >/dev/null 2>&1 && bad "$what: saved knobs left: $(ls /run/hap/knobs-*)" || ok "$what: no saved knobs left"
}
leftovers "after a normal end"

# --- Figures, not checks: what a second function-tracing instance costs a
# retiring one (one instance per role would mean several). dd of 1-byte
# blocks, untraced, then under function_retire once its functions are
# retired, alone and with a second instance running the function tracer
# on pid 1 (idle): every call site still traced goes through the list function.
dd_rate() { dd if=/dev/zero of=/dev/null bs=1 count=40000 2>&1 | awk '/copied/ {print $(NF-1), $NF}'; }
echo "  figure: dd untraced: $(dd_rate)"
ddloop=(sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do dd if=/dev/zero of=/dev/null bs=1 count=40000 2>&1 | grep copied; sleep 0.5; done')
"$HAPCTL" trace --mode function_retire -- "${ddloop[@]}" >"$out/retire-dd1.log" 2>&1
echo "  figure: dd under function_retire, one instance (runs 1, 2 and the last): $(grep copied "$out/retire-dd1.log" | awk '{print $(NF-1) $NF}' | sed -n '1p;2p;$p' | tr '\n' ' ')"
X=$T/instances/other; rmdir $X 2>/dev/null; mkdir $X; echo 0 > $X/tracing_on; echo 1 > $X/set_ftrace_pid
echo function > $X/current_tracer; echo 1 > $X/tracing_on
"$HAPCTL" trace --mode function_retire -- "${ddloop[@]}" >"$out/retire-dd2.log" 2>&1
echo "  figure: dd under function_retire, a second instance tracing pid 1: $(grep copied "$out/retire-dd2.log" | awk '{print $(NF-1) $NF}' | sed -n '1p;2p;$p' | tr '\n' ' ')"
echo nop > $X/current_tracer; rmdir $X
grep -h 'tracing cost' "$out/retire-dd1.log" "$out/retire-dd2.log" | sed 's/^/  figure: /'

# --- 2. SIGTERM and kill -9 while functions are being retired
busy=(sh -c 'while :; do cat /proc/version /proc/self/status >/dev/null; ls / >/dev/null; done')
notrace_of() { cat $T/instances/hap_$1/set_ftrace_notrace 2>/dev/null | grep -c .; }
wait_retired() {  # PID: until its instance's list has entries (at most 60 s)
  for _ in $(seq 300); do [ "$(notrace_of $1)" -gt 0 ] && return 0; sleep 0.2; done
  return 1
}
"$HAPCTL" trace --mode function_retire -- "${busy[@]}" >"$out/retire-term.log" 2>&1 &
hap=$!
wait_retired $hap && ok "SIGTERM case: $(notrace_of $hap) functions in the instance's list before the signal" ||
  bad "SIGTERM case: nothing was retired within 60 s"
kill -TERM $hap
wait $hap
echo "  SIGTERM: hapctl exit $?"
leftovers "after SIGTERM"

"$HAPCTL" trace --mode function_retire -- "${busy[@]}" >"$out/retire-kill.log" 2>&1 &
hap=$!
wait_retired $hap && ok "kill -9 case: functions retired before the kill" || bad "kill -9 case: nothing retired within 60 s"
pgid=$(ps -o pgid= -p $(pgrep -P $hap | head -1) 2>/dev/null | tr -d ' ')
kill -9 $hap
wait $hap 2>/dev/null
[ -n "$pgid" ] && kill -9 -- -"$pgid" 2>/dev/null
n=$(notrace_of $hap)
[ "${n:-0}" -gt 0 ] && ok "kill -9: its instance keeps $n entries until the next start (the case the clean-up is for)" ||
  bad "kill -9: the instance had no entries left to clean"
"$HAPCTL" trace --mode syscalls -- true >/dev/null 2>&1
leftovers "after kill -9 and the next start"

echo > $T/set_ftrace_notrace  # the user entry this script put there
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
