#!/usr/bin/env bash
# Two, then ten clients at once on one hapd and one store: every request is
# served or refused clearly (busy, with its position), and no two captures
# interleave: in the store each run starts after the previous one ended, and
# hapd's log shows job N complete before job N+1 starts.
. "$(dirname "$0")/lib.sh"
need_measure
start_hapd || { fail "hapd did not start"; finish; exit; }
db=$work/shared.db
served=0 refused=0

round() {  # round N_WAITING N_NOWAIT
  local n=$1 nowait=$2 pids=() i
  for i in $(seq "$n"); do
    measure_bg "$db" "$work/c$n-$i.log" --duration 1; pids+=("$bg_pid")
  done
  wait_for "$work/hapd.log" "started" || true
  for i in $(seq "$nowait"); do
    measure_bg "$db" "$work/c$n-nw$i.log" --duration 1 --no-wait; pids+=("$bg_pid")
  done
  local rc
  for p in "${pids[@]}"; do wait "$p"; done
  for i in $(seq "$n"); do
    if grep -q "^stored in" "$work/c$n-$i.log"; then served=$((served + 1)); pass
    else fail "client $i of $n not served: $(tail -2 "$work/c$n-$i.log")"; fi
  done
  for i in $(seq "$nowait"); do
    local log=$work/c$n-nw$i.log
    if grep -q "^stored in" "$log"; then served=$((served + 1)); pass   # it found hapd idle
    elif grep -qE "hapd is busy: [0-9]+ session\(s\) ahead" "$log" && grep -q "^hint:" "$log"; then refused=$((refused + 1)); pass
    else fail "--no-wait client $i neither served nor refused clearly: $(cat "$log")"; fi
  done
}
round 2 0
round 7 3

total=$(sql "$db" "select count(*) from runs")
[ "$total" = "$served" ] && pass || fail "$total runs stored for $served served requests"
[ "$(sql "$db" "select count(*) from runs where status <> 'complete'")" = 0 ] && pass || fail "incomplete runs: $(sql "$db" "select id, status, reason from runs where status <> 'complete'")"
overlaps=$(sql "$db" "select a.id || '/' || b.id from runs a join runs b on b.id = a.id + 1 where b.started_at < a.ended_at")
[ -z "$overlaps" ] && pass || fail "runs overlap in time: $overlaps"
# hapd's own order: started/complete alternate, job by job.
order=$(grep -oE "job [0-9]+: (started|complete)" "$work/hapd.log" | awk '{print $3}' | uniq -c | awk '$1 != 1' | wc -l)
[ "$order" = 0 ] && pass || fail "two jobs ran at once in hapd's log"
status=$($RAW --timeout=5 "$HAP_SOCKET" '{"v":1,"type":"status"}')
grep -q '"active":null' <<<"$status" && grep -q '"queue":\[\]' <<<"$status" && pass || fail "hapd not idle after the rounds: $status"
echo "figures: clients 12, served $served, refused busy $refused, runs stored $total"
finish
