#!/bin/bash
# Runs inside the lab VM (scripts/lab/run --script), with a Nabla install tree
# brought in by `--install` (runnc and the solo5 tenders in /opt/runnc/bin, a
# redis image in /opt/nabla-images/redis): one boot serves every Nabla check
# that needs the lab's function tracers or its nested KVM.
#   1. nabla/spt and nabla/hvt redis end to end, function_graph + syscalls
#      (+ kvm for hvt), 3 s of load: complete, 0 lost, functions and the
#      tender's handful of syscalls under its role;
#   2. a unikernel the tender cannot load: one line quoting the tender, exit 1,
#      the run stored failed;
#   3. kill -9 of hapctl while it traces runnc: the next hapctl removes the
#      tender, the netns and runnc's state.
# Prints "N passed, N failed"; exit 0 only when all passed.
set -u
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
image=/opt/nabla-images/redis
# The guest disk has python3, not the sqlite3 shell.
q() { python3 -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print("|".join(map(str, r)))' "$HAP_DB" "$1"; }
newest() { q "select max(id) from runs"; }

nothing_left() {
  local what=$1
  if pgrep -x nabla-run >/dev/null || pgrep -x solo5-hvt >/dev/null; then bad "$what: a tender left running"; return; fi
  if ip netns list | grep -q '^hap'; then bad "$what: namespaces left: $(ip netns list | tr '\n' ' ')"; return; fi
  if ls /run/hap/nabla 2>/dev/null | grep -q .; then bad "$what: /run/hap/nabla/$(ls /run/hap/nabla) left"; return; fi
  ok "$what: nothing left behind"
}

for cell in "spt function_graph,syscalls" "hvt function_graph,syscalls,kvm"; do
  set -- $cell
  rc=0
  "$HAPCTL" measure --runtime nabla --platform "$1" --workload redis --mode "$2" --duration 3 \
    --nabla-image "$image" --ready-timeout 300 --no-untraced || rc=$?
  id=$(newest)
  check "nabla/$1: hapctl exits 0 ($rc)" test "$rc" = 0
  check "nabla/$1: run $id complete, 0 lost" test "$(q "select status||','||lost_events from runs where id=$id")" = "complete,0"
  fns=$(q "select count(distinct s.normalized) from hits h join symbols s on s.id=h.symbol_id where h.run_id=$id and s.kind='function'")
  role=$([ "$1" = spt ] && echo workload || echo vcpu)  # hvt: its one thread enters the guest (kvm_exit)
  sys=$(q "select count(distinct s.normalized) from hits h join symbols s on s.id=h.symbol_id where h.run_id=$id and s.kind='syscall' and h.role='$role'")
  check "nabla/$1: functions reached ($fns > 50)" test "${fns:-0}" -gt 50
  check "nabla/$1: the tender's syscalls under $role (3 <= $sys <= 12)" test "${sys:-0}" -ge 3 -a "${sys:-0}" -le 12
  nothing_left "nabla/$1"
done

# 2. A unikernel the tender cannot load.
bad_img=/tmp/nabla-bad; mkdir -p $bad_img; echo "not a unikernel" > $bad_img/redis.nabla
out=$("$HAPCTL" measure --runtime nabla --platform spt --workload redis --mode syscalls --duration 1 \
  --nabla-image $bad_img 2>&1); rc=$?
check "bad unikernel: exit 1 ($rc)" test "$rc" = 1
check "bad unikernel: one error line quoting the tender" bash -c "grep -c '^hapctl measure: .*Exec format error' <<<\"\$0\" | grep -qx 1" "$out"
check "bad unikernel: stored failed with the reason" test "$(q "select status from runs where id=$(newest) and reason like '%Exec format error%'")" = failed
nothing_left "bad unikernel"

# 3. kill -9 mid-trace under runnc; the next hapctl cleans up.
log=/tmp/nabla-k9.log
"$HAPCTL" measure --runtime nabla --platform runnc --workload redis --mode syscalls --duration 60 \
  --nabla-image "$image" --ready-timeout 300 --no-untraced >$log 2>&1 &
m=$!
for i in $(seq 1 300); do grep -q "tracing, load" $log && break; sleep 1; done
kill -9 $m; wait $m 2>/dev/null
check "kill -9: a tender was running when hapctl died" pgrep -x nabla-run
"$HAPCTL" runs >/dev/null 2>&1  # any hapctl that opens the store cleans what dead ones left
"$HAPCTL" measure --runtime nabla --platform spt --workload redis --mode syscalls --duration 1 \
  --nabla-image "$image" --ready-timeout 300 --no-untraced >/dev/null 2>&1
check "kill -9: the run is stored aborted" test "$(q "select count(*) from runs where status='aborted'")" -ge 1
nothing_left "kill -9"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
