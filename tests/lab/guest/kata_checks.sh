#!/bin/bash
# Runs inside the lab VM (scripts/lab/run --script), with a Kata 1.x install
# tree brought in by `--install` (the shim v2 in /opt/kata/bin, its
# configuration, guest kernel and initrd): one boot serves every Kata check
# that needs the lab's function tracers and nested KVM.
#   1. kata/qemu redis end to end, function_graph,syscalls,kvm, 3 s of load:
#      complete, 0 lost; the runtime (shim), vmm, vcpu (found by kvm_exit:
#      Kata's QEMU names no thread) and backend (vhost) roles each reached
#      functions; exit reasons counted; nothing left after it;
#   2. a shim that cannot start the sandbox (the guest kernel missing from
#      its configuration): one line quoting the shim, exit 1, stored failed;
#   3. kill -9 of hapctl while it traces: the run is stored aborted and the
#      next hapctl removes the sandbox (shim, QEMU, namespaces).
# containerd is started by scripts/lab/kata1-containerd, as the kata
# reference set does. Prints "N passed, N failed"; exit 0 only when all passed.
set -u
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
# The guest disk has python3, not the sqlite3 shell.
q() { python3 -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print("|".join(map(str, r)))' "$HAP_DB" "$1"; }
newest() { q "select max(id) from runs"; }
nothing_left() {
  local what=$1
  sleep 2
  if pgrep -f 'qemu-system-x86_64 -name sandbox-hap-' >/dev/null; then bad "$what: QEMU left"; return; fi
  if pgrep -f 'containerd-shim-kata-v2.* -id hap-' >/dev/null; then bad "$what: shim left"; return; fi
  if ip netns list | grep -q '^hap'; then bad "$what: namespaces left: $(ip netns list | tr '\n' ' ')"; return; fi
  if ctr --address /run/containerd/containerd.sock -n hap containers list -q | grep -q .; then bad "$what: containers left"; return; fi
  ok "$what: nothing left behind"
}
KATA_LAB_SYSLOG=/hap/out/kata-syslog.log /hap/scripts/lab/kata1-containerd kata /run/containerd/containerd.sock \
  /hap/out/kata-containerd.log || { echo "FAIL: containerd for Kata did not start"; exit 1; }

# 1. End to end.
rc=0
"$HAPCTL" measure --runtime kata --workload redis --mode function_graph,syscalls,kvm --duration 3 \
  --ready-timeout 400 --buffer-kb 65536 --no-untraced || rc=$?
id=$(newest)
check "kata/qemu: hapctl exits 0 ($rc)" test "$rc" = 0
check "kata/qemu: run $id complete, 0 lost" test "$(q "select status||','||lost_events from runs where id=$id")" = "complete,0"
for role in runtime vmm vcpu backend; do
  n=$(q "select count(distinct s.normalized) from hits h join symbols s on s.id=h.symbol_id where h.run_id=$id and s.kind='function' and h.role='$role'")
  check "kata/qemu: $role reached functions ($n > 0)" test "${n:-0}" -gt 0
done
n=$(q "select count(*) from hits h join symbols s on s.id=h.symbol_id where h.run_id=$id and s.kind='exit_reason'")
check "kata/qemu: exit reasons counted ($n > 0)" test "${n:-0}" -gt 0
nothing_left "kata/qemu"

# 2. A shim that cannot start the sandbox.
cfg=/etc/kata-containers/configuration-qemu.toml
cp "$cfg" /tmp/cfg.bak
sed -i 's|^kernel = .*|kernel = "/opt/kata/share/kata-containers/no-such-vmlinuz"|' "$cfg"
out=$("$HAPCTL" measure --runtime kata --workload redis --mode syscalls --duration 2 --ready-timeout 400 --no-untraced 2>&1); rc=$?
cp /tmp/cfg.bak "$cfg"
check "shim cannot start: exit 1 ($rc)" test "$rc" = 1
check "shim cannot start: one error line quoting the shim" bash -c "grep -c '^hapctl measure: .*no-such-vmlinuz' <<<\"\$0\" | grep -qx 1" "$out"
check "shim cannot start: stored failed" test "$(q "select status from runs where id=$(newest)")" = failed
nothing_left "shim cannot start"

# 3. kill -9 mid-trace; the next hapctl cleans up.
log=/tmp/kata-k9.log
"$HAPCTL" measure --runtime kata --workload redis --mode syscalls --duration 120 --ready-timeout 400 --no-untraced >$log 2>&1 &
m=$!
for _ in $(seq 400); do grep -q "tracing, load" $log && break; sleep 1; done
check "kill -9: the sandbox was up" grep -q "tracing, load" $log
kill -9 $m; wait $m 2>/dev/null
"$HAPCTL" runs >/dev/null 2>&1  # marks the dead writer's run aborted
check "kill -9: run stored aborted" test "$(q "select status from runs where id=$(newest)")" = aborted
"$HAPCTL" doctor --no-start >/tmp/next.log 2>&1 || true
"$HAPCTL" measure --runtime kata --workload redis --mode syscalls --duration 1 --ready-timeout 400 --no-untraced >>/tmp/next.log 2>&1
check "kill -9: the next hapctl removed the Kata sandbox" grep -q "removed Kata sandbox hap-" /tmp/next.log
nothing_left "kill -9"

kill "$(cat /run/kata.pid)" 2>/dev/null
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
