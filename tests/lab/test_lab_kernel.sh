#!/usr/bin/env bash
# Lab test: hap on another Debian kernel, booted by scripts/lab/run --kernel
# VERSION (its suite added to apt pinned): $HAP_LAB_KERNEL, default
# bullseye's 5.10.0-32-amd64 (the kernel of many LTS fleets);
# tests/CMakeLists.txt also runs it on bookworm-backports' 6.12.
# tests/lab/guest/old_kernel_checks.sh runs trace and measure there, each
# within a bound; back on the host the store says what they captured.
set -uo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 not installed"
kver=${HAP_LAB_KERNEL:-5.10.0-32-amd64}
[[ "$kver" == *-amd64 ]] || kver="$kver-amd64"  # as scripts/lab/run completes it

out=$(mktemp -d /tmp/hap-lab-kernel.XXXXXX)
trap 'rm -rf -- "$out"' EXIT
rc=0
lab_boot 1800 "$out" --kernel "$kver" --timeout 900 --script "$here/guest/old_kernel_checks.sh" >"$out/lab.log" 2>&1 || rc=$?
if [ ! -f "$out/exit-code" ] && grep -q "no package linux-image-$kver" "$out/lab.log"; then
  skip "$(grep -m1 'no package' "$out/lab.log")"
fi
echo "--- guest checks:"
grep -E '^(ok|FAIL|  )' "$out/hapctl.log" 2>/dev/null
check "the guest's checks all passed (exit $rc)" test "$rc" = 0
q() { sqlite3 "$out/hap.db" "$1" 2>/dev/null; }
check "every run is on $kver" test "$(q "select count(*) from runs r join kernels k on k.id=r.kernel_id where k.release != '$kver'")" = 0
check "three runs, all complete" test "$(q "select count(*) from runs where status='complete'")" = 3
check "no events lost" test "$(q "select coalesce(sum(lost_events),0) from runs")" = 0
fns=$(q "select count(distinct s.normalized) from hits h join symbols s on s.id=h.symbol_id join runs r on r.id=h.run_id where r.runtime='runc' and s.kind='function'")
check "runc redis reached functions ($fns)" test "${fns:-0}" -gt 100
# Syscalls named from a known ABI (the program's, read at exec on this kernel too).
check "no syscall of unknown ABI" test "$(q "select count(*) from symbols where kind='syscall' and substr(normalized,1,8)='unknown:'")" = 0
if [ "$failed" -gt 0 ]; then
  echo "--- lab.log (last 20 lines):"; tail -n 20 "$out/lab.log"
  echo "--- hapctl.log (last 30 lines):"; tail -n 30 "$out/hapctl.log" 2>/dev/null
fi
finish
