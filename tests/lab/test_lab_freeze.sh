#!/usr/bin/env bash
# Lab test: scripts/lab/run's stall watchdog. The guest script stops the
# lab's heartbeat and stays silent; with --stall 30 the run must stop the
# guest, exit 3 in one line that places the CPU (sampled from QEMU's
# monitor, read against the lab kernel's symbols), and keep freeze.txt.
# This is what turns a lab guest that froze (under TCG, the emulated nested
# SVM can leave the lab kernel halted for good with an interrupt pending)
# into a said, retried failure rather than a run that waits out its whole
# timeout. About 1 min.
set -uo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
command -v socat >/dev/null || skip "socat not installed (reads QEMU's monitor; scripts/setup installs it)"

out=$(mktemp -d /tmp/hap-lab-freeze.XXXXXX)
trap 'rm -rf -- "$out"' EXIT
cat >"$out/silent.sh" <<'GUEST'
#!/bin/bash
# No heartbeat, no console output: to the host this guest is frozen.
pkill -f hap-lab-heartbeat
sleep 3600
GUEST
t0=$(date +%s)
rc=0
err=$(timeout 900 "$lab" --cpus 1 --stall 30 --timeout 600 --out "$out/run" --script "$out/silent.sh" 2>&1 >/dev/null) || rc=$?
took=$(( $(date +%s) - t0 ))
line=$(grep '^lab: the guest froze: ' <<<"$err")
echo "  $line"
check "exit 3 (got $rc)" test "$rc" = 3
check "stopped long before --timeout ($took s)" test "$took" -lt 400
check "one line says it froze and where the CPU was" bash -c '[[ "$1" == *"no console output or heartbeat for "*"CPU at RIP "* ]]' _ "$line"
# The silent guest idles: its CPU sits in the lab kernel's idle path, found
# by name in the symbols the guest wrote.
check "the RIP is placed in the lab kernel" bash -c '[[ "$1" == *"of the lab kernel)"* ]]' _ "$line"
check "freeze.txt has the register samples" test "$(grep -c '^RIP=' "$out/run/freeze.txt" 2>/dev/null)" = 3
# QEMU's own threads are listed too (what tells a stuck QEMU from a stuck guest).
# Every thread line well formed: "CPU 0/TCG" has a blank in its comm, which
# must not shift the state and CPU columns.
threads=$(sed -n '/^--- QEMU/,$p' "$out/run/freeze.txt" | tail -n +2)
echo "$threads" | sed 's/^/    /'
check "freeze.txt lists QEMU's threads with their state and CPU share" \
  bash -c '[ -n "$1" ] && ! grep -Evq "^[0-9]+ [^ ]+ [A-Z] [0-9]+%" <<<"$1"' _ "$threads"
check "QEMU's vCPU thread is among them, by name" bash -c 'grep -Eq "^[0-9]+ [^ ]*/(TCG|KVM) " <<<"$1"' _ "$threads"
check "a hint names freeze.txt" bash -c 'grep -q "^hint: see .*freeze.txt" <<<"$1"' _ "$err"
# ([q]: the pattern must not match this check's own command line)
check "QEMU is gone" bash -c "! pgrep -f -- '[q]emu-system-x86_64 .*$out/run' >/dev/null"
finish
