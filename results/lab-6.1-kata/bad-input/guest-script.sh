#!/bin/bash
# Lab guest: Kata 1.12.1 bad input and kill -9, against the real shim.
set -u
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
q() { python3 -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print("|".join(map(str, r)))' "$HAP_DB" "$1"; }
nothing_left() {
  local what=$1
  sleep 2
  if pgrep -f 'qemu-system-x86_64 -name sandbox-hap-' >/dev/null; then bad "$what: QEMU left: $(pgrep -af qemu-system | cut -c1-100)"; return; fi
  if pgrep -f 'containerd-shim-kata-v2.* -id hap-' >/dev/null; then bad "$what: shim left"; return; fi
  if ip netns list | grep -q '^hap'; then bad "$what: namespaces left: $(ip netns list | tr '\n' ' ')"; return; fi
  if ctr --address /run/containerd/containerd.sock -n hap containers list -q | grep -q .; then bad "$what: containers left: $(ctr --address /run/containerd/containerd.sock -n hap containers list -q | tr '\n' ' ')"; return; fi
  ok "$what: nothing left behind"
}
KATA_LAB_SYSLOG=/hap/out/kata-syslog.log /opt/kata-lab/start-containerd.sh kata /run/containerd/containerd.sock /hap/out/kata-containerd.log || exit 1

# 1. kill -9 of hapctl while it traces.
log=/tmp/kata-k9.log
"$HAPCTL" measure --runtime kata --workload redis --mode syscalls --duration 120 --ready-timeout 400 --no-untraced >$log 2>&1 &
m=$!
for i in $(seq 1 400); do grep -q "tracing, load" $log && break; sleep 1; done
check "kill -9: the sandbox was up" grep -q "tracing, load" $log
kill -9 $m; wait $m 2>/dev/null
check "kill -9: QEMU running when hapctl died" pgrep -f 'qemu-system-x86_64 -name sandbox-hap-'
"$HAPCTL" runs >/dev/null 2>&1  # marks the dead writer's run aborted
check "kill -9: run stored aborted" test "$(q "select count(*) from runs where status='aborted'")" -ge 1
# The next measurement removes what the dead hapctl left (clean_runner_leftovers), then measures.
"$HAPCTL" measure --runtime kata --workload redis --mode syscalls --duration 2 --ready-timeout 400 --no-untraced >/tmp/next.log 2>&1
grep -E "removed|stopped" /tmp/next.log
check "kill -9: the next hapctl removed the Kata sandbox" grep -q "removed Kata sandbox hap-" /tmp/next.log
check "kill -9: the next measurement completed" grep -q "complete" /tmp/next.log
nothing_left "kill -9"

# 2. A shim that cannot start the sandbox: the guest kernel missing from the configuration.
cfg=/etc/kata-containers/configuration-qemu.toml
cp $cfg /tmp/cfg.bak
sed -i 's|^kernel = .*|kernel = "/opt/kata/share/kata-containers/no-such-vmlinuz"|' $cfg
out=$("$HAPCTL" measure --runtime kata --workload redis --mode syscalls --duration 2 --ready-timeout 400 --no-untraced 2>&1); rc=$?
echo "$out" | tail -3
check "shim cannot start: exit 1 ($rc)" test "$rc" = 1
check "shim cannot start: the shim's error quoted" bash -c "grep -q 'no-such-vmlinuz' <<<\"\$0\"" "$out"
check "shim cannot start: stored failed" test "$(q "select status from runs order by id desc limit 1")" = failed
cp /tmp/cfg.bak $cfg
nothing_left "shim cannot start"

# 3. Configuration missing.
mkdir -p /tmp/hidden; for f in /etc/kata-containers/*.toml /opt/kata/share/defaults/kata-containers/*.toml; do mv "$f" /tmp/hidden/$(echo "$f" | tr / _); done
out=$("$HAPCTL" measure --runtime kata --workload redis --mode syscalls --duration 2 --no-untraced 2>&1); rc=$?
echo "$out" | tail -2
check "configuration missing: exit != 0 ($rc)" test "$rc" != 0
check "configuration missing: said in one line" bash -c "grep -c 'configuration-qemu.toml' <<<\"\$0\" | grep -qx 1" "$out"
for f in /tmp/hidden/*; do n=$(basename "$f" | tr _ /); mv "$f" "$n"; done
# 4. Shim missing.
mv /opt/kata/bin/containerd-shim-kata-v2 /tmp/shim.bak
out=$("$HAPCTL" measure --runtime kata --workload redis --mode syscalls --duration 2 --no-untraced 2>&1); rc=$?
echo "$out" | tail -2
check "shim missing: exit != 0 ($rc)" test "$rc" != 0
check "shim missing: said" bash -c "grep -q 'containerd-shim-kata-v2' <<<\"\$0\"" "$out"
mv /tmp/shim.bak /opt/kata/bin/containerd-shim-kata-v2
nothing_left "bad input"
kill "$(cat /run/kata.pid)" 2>/dev/null
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
