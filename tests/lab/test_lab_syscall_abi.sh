#!/usr/bin/env bash
# Lab test (issue 13): syscalls named from the ABI they entered through, on
# Debian's 6.1 where function_graph and 32-bit entry work. One boot runs:
#   1. the int $0x80 probe (64-bit, eax=20 x3 and eax=122 x3) traced with
#      --mode function_graph,syscalls: stored as ia32:getpid and ia32:uname,
#      never writev or setfsuid (the entry path's records say ia32);
#   2. the i386 static probe traced with --mode syscalls: every syscall after
#      its exec named from the ia32 table (its ELF class says ia32).
# Exit 77 (SKIP) when the lab cannot run here.
set -uo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
for p in int80_probe ia32_static_probe; do [ -x "$build/tests/$p" ] || skip "$p not built"; done
command -v sqlite3 >/dev/null || skip "sqlite3 not installed"

out=$(mktemp -d /tmp/hap-lab-abi.XXXXXX)
trap 'rm -rf -- "$out"' EXIT
cp -- "$build/tests/int80_probe" "$build/tests/ia32_static_probe" "$out/"  # OUT is /hap/out in the guest
cat >"$out/abi.sh" <<'GUEST'
set -u
"$HAPCTL" trace --mode function_graph,syscalls -- /hap/out/int80_probe || exit 1
"$HAPCTL" trace --mode syscalls -- /hap/out/ia32_static_probe || exit 1
GUEST
rc=0
lab_boot 1500 "$out" --timeout 900 --script "$out/abi.sh" >/dev/null || rc=$?
check "lab script exits 0" test "$rc" = 0
q() { sqlite3 "$out/hap.db" "$1" 2>/dev/null; }
check "two runs complete" test "$(q "select count(*) from runs where status='complete'")" = 2
names() { # run id -> "name hits" lines of the workload's syscalls
  q "select s.normalized || ' ' || h.count from hits h join symbols s on s.id = h.symbol_id
     where h.run_id = $1 and s.kind = 'syscall' and h.role = 'workload' order by 1"
}
int80=$(names 1) ia32=$(names 2)
echo "--- int80_probe, function_graph,syscalls (name, hits):"; sed 's/^/  /' <<<"$int80"
echo "--- ia32_static_probe, syscalls (name, hits):"; sed 's/^/  /' <<<"$ia32"
check "int80: ia32:getpid x3" grep -qx "ia32:getpid 3" <<<"$int80"
check "int80: ia32:uname x3" grep -qx "ia32:uname 3" <<<"$int80"
check "int80: no writev" bash -c '! grep -q "^writev " <<<"$1"' _ "$int80"
check "int80: no setfsuid" bash -c '! grep -q "^setfsuid " <<<"$1"' _ "$int80"
check "int80: the ABIs came from entry-path records" bash -c 'grep -q "\"entry_path\":[1-9]" <<<"$1"' _ "$(q "select settings from runs where id = 1")"
for want in "ia32:getpid 3" "ia32:uname 3" "ia32:write 1" "ia32:exit 1"; do
  check "i386: $want" grep -qx "$want" <<<"$ia32"
done
check "i386: no unknown ABI" bash -c '! grep -q "^unknown:" <<<"$1"' _ "$ia32"
check "i386: no x86_64 name of its calls" bash -c '! grep -qE "^(writev|setfsuid|getpid|uname|write|exit) " <<<"$1"' _ "$ia32"
finish
