#!/usr/bin/env bash
# A 32-bit static program (tests/lab/ia32_static_probe.S: getpid and uname
# three times each, write, exit, all through int $0x80) traced on this host
# with `hapctl trace --mode syscalls`: every syscall after its exec is named
# from the ia32 table (ia32:getpid, never x86_64's writev). Skips, saying
# why, where the kernel refuses 32-bit entry (some kill it with SIGSEGV:
# CONFIG_IA32_EMULATION off, or ia32_emulation=0).
. "$(dirname "$0")/lib.sh"
need_root
probe=${HAP_IA32_PROBE:?set HAP_IA32_PROBE to the built ia32_static_probe}
command -v sqlite3 >/dev/null || skip "sqlite3 not installed"
"$probe" >/dev/null 2>&1; rc=$?
[ "$rc" = 0 ] || skip "this kernel refuses 32-bit entry: the i386 probe exited $rc ($( [ "$rc" -gt 128 ] && kill -l $((rc - 128)) ))"

db="$work/ia32.db"
"$HAPCTL" trace --mode syscalls --db "$db" -- "$probe" >"$work/out" 2>&1 || fail "trace failed: $(cat "$work/out")"
q() { sql "$db" "$1"; }
names=$(q "select s.normalized || ' ' || h.count from hits h join symbols s on s.id = h.symbol_id where s.kind = 'syscall' and h.role = 'workload' order by 1")
echo "stored syscalls (name, hits):"; sed 's/^/  /' <<<"$names"
for want in "ia32:getpid 3" "ia32:uname 3" "ia32:write 1" "ia32:exit 1"; do
  grep -qx "$want" <<<"$names" && pass || fail "no '$want' among the stored syscalls"
done
# Before its exec the task is hapctl's fork (x86_64: rt_sigaction, execve);
# nothing the i386 program did may carry an x86_64 or unknown name.
for bad in writev setfsuid uname getpid; do
  grep -q "^$bad " <<<"$names" && fail "x86_64 name '$bad' stored for an ia32 call" || pass
done
grep -q "^unknown:" <<<"$names" && fail "syscalls stored with the ABI unknown" || pass
q "select settings from runs" | grep -q '"syscall_abi":{[^}]*"unknown":0' && pass || fail "the run does not say 0 syscalls of unknown ABI"
finish
