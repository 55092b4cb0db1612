#!/usr/bin/env bash
# Lab test: gVisor of bookworm-backports (2024) in the lab VM, one boot
# (tests/lab/guest/runsc_checks.sh): doctor's platform lines, redis under
# runsc/systrap with function_graph + syscalls, and the ptrace_scope=3
# refusal, which cannot be tried on a host (it is not lowered again without
# a reboot). Back on the host the store is read with sqlite3.
# Exit 77 (SKIP) when the lab cannot run here. About 4 minutes under TCG.
set -uo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 not installed"

out=$(mktemp -d /tmp/hap-lab-runsc.XXXXXX)
trap 'rm -rf -- "$out"' EXIT
rc=0
lab_boot 1800 "$out" --timeout 1200 --script "$here/guest/runsc_checks.sh" >/dev/null || rc=$?
echo "--- guest checks:"
grep -E '^(ok|FAIL|  )' "$out/hapctl.log" 2>/dev/null
check "the guest's checks all passed (exit $rc)" test "$rc" = 0
check "no kernel panic in the lab VM" bash -c "! grep -q 'Kernel panic' '$out/console.log'"

q() { sqlite3 "$out/hap.db" "$1" 2>/dev/null; }
run=$(q "select id from runs where runtime='runsc' and platform='systrap' and status='complete' order by id limit 1")
check "a complete runsc/systrap run came back" test -n "$run"
if [ -n "$run" ]; then
  fn() { q "select count(distinct s.normalized) from hits h join symbols s on s.id=h.symbol_id where h.run_id=$run and s.kind='function' and h.role='$1'"; }
  check "systrap: HAP_fn:runtime > 0 (the sentry's, $(fn runtime))" test "$(fn runtime)" -gt 0
  check "systrap: HAP_fn:workload > 0 (the stubs', $(fn workload))" test "$(fn workload)" -gt 0
  check "systrap: no events lost" test "$(q "select lost_events from runs where id=$run")" = 0
  check "systrap: runsc 2024 stored with the run" \
    bash -c "[[ '$(q "select json_extract(settings, '\$.sandbox.versions.runsc') from runs where id=$run")' == *2024* ]]"
  check "systrap: traced and untraced throughput stored" \
    test "$(q "select throughput > 0 and throughput_untraced > 0 from runs where id=$run")" = 1
fi
check "the ptrace_scope=3 run is stored failed with its cause" \
  test "$(q "select count(*) from runs where status='failed' and reason like '%ptrace_scope is 3%'")" = 1
[ "$failed" -gt 0 ] && { echo "--- console.log (last 20 lines):"; tail -n 20 "$out/console.log"; }
finish
