#!/usr/bin/env bash
# scripts/sources/build-table on tests/fixtures/sources/tree-6.1 (real
# functions cut from linux-source-6.1, fixtures README): the rows it writes
# against tree-6.1.expected.csv, and the MAINTAINERS copied beside them.
# Exit 77 (skipped) without pmccabe. No root, no kernel: a unit-tier test.
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/checks.sh
. "$root/tests/lib/checks.sh"
command -v pmccabe >/dev/null || skip "pmccabe not installed (apt-get install pmccabe)"
cp -r "$root/tests/fixtures/sources/tree-6.1" "$work/tree"
cp "$root/tests/fixtures/sources/MAINTAINERS-6.1-excerpt" "$work/tree/MAINTAINERS"
"$root/scripts/sources/build-table" --tree "$work/tree" --out "$work/src.csv" --jobs 1 2>"$work/err" && pass ||
  fail "build-table exited $?: $(cat "$work/err")"
head -1 "$work/src.csv" | grep -q "^# function -> source file of tree .* (arch x86; " && pass || fail "first line: $(head -1 "$work/src.csv")"
# Everything but the first line (it names the tree and the time) is exact:
# arm64's arch_cpu_idle, arch/x86/um's getreg and tools/ left out, security.h's stub dropped for
# security.c's definition, get_task_struct kept from its header, memcpy in
# two files, SYSCALL_DEFINE0/3 as sys_fork, sys_read, and what tracepoint,
# LSM_HOOK, INTERVAL_TREE_DEFINE and DEFINE_BATCHED_ENTROPY make.
diff <(tail -n +2 "$work/src.csv") "$root/tests/fixtures/sources/tree-6.1.expected.csv" >"$work/diff" && pass || fail "rows differ: $(cat "$work/diff")"
cmp -s "$work/src.csv.MAINTAINERS" "$work/tree/MAINTAINERS" && pass || fail "MAINTAINERS not copied beside the table"
"$root/scripts/sources/build-table" --tree "$work/nothing" --out "$work/x.csv" 2>/dev/null && fail "a missing tree was accepted" || pass
finish
