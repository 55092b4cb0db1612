#!/usr/bin/env bash
# The CI gate on two recorded run sets of the same cells (redis under runc,
# gVisor ptrace and native, function_graph, 3 runs each, lab on Debian 6.1):
# tests/fixtures/analysis/lab-6.1-batch1.db (baseline) and lab-6.1-batch2.db
# (candidate, measured an hour later). runc grew +2.6% between them.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
base=$root/tests/fixtures/analysis/lab-6.1-batch1.db
cand=$root/tests/fixtures/analysis/lab-6.1-batch2.db
cp "$base" "$work/base.db"; cp "$cand" "$work/cand.db"   # check reads; copies keep the repo untouched

"$HAPCTL" check --baseline "$work/base.db" --db "$work/base.db" --max-increase 0 >"$work/same.out" 2>&1
[ $? = 0 ] && pass || fail "identical sets did not pass: $(tail -2 "$work/same.out")"
"$HAPCTL" check --baseline "$work/base.db" --db "$work/cand.db" --max-increase 5 >"$work/pass.out" 2>&1
[ $? = 0 ] && pass || fail "+2.6% failed a 5% gate: $(tail -2 "$work/pass.out")"
"$HAPCTL" check --baseline "$work/base.db" --db "$work/cand.db" --max-increase 1 >"$work/fail.out" 2>&1
[ $? = 1 ] && pass || fail "+2.6% passed a 1% gate"
grep -q "runc redis .*REGRESSION" "$work/fail.out" && pass || fail "runc not named as the regression"
grep -q "native redis .* ok" "$work/fail.out" && pass || fail "native (+0.7%) not ok at 1%"
# The default verdict needs growth beyond the baseline's repetitions and
# union too: native (+0.8%, within both) is not a regression even at 0%.
"$HAPCTL" check --baseline "$work/base.db" --db "$work/cand.db" >"$work/noise.out" 2>&1
grep -q "native redis .* ok (within noise)" "$work/noise.out" && pass || fail "native +0.8% not within noise: $(cat "$work/noise.out")"
grep -q "runc redis (hap_fn): new surface, [0-9]* name(s): " "$work/noise.out" && pass || fail "new names not listed"
grep -q "has no source map: no rename is told from new surface" "$work/noise.out" && pass || fail "a kernel without a source map not said"
"$HAPCTL" check --baseline "$work/base.db" --db "$work/cand.db" --fail-on threshold >"$work/thr.out" 2>&1
grep -q "native redis .*REGRESSION" "$work/thr.out" && pass || fail "--fail-on threshold at 0% let native +0.8% pass"
"$HAPCTL" check --baseline "$work/base.db" --db "$work/cand.db" --max-increase 1 --format csv >"$work/check.csv" 2>&1
[ $? = 1 ] && pass || fail "csv: exit code differs from text's"
head -1 "$work/check.csv" | grep -q '^runtime,platform,workload,mode,figure,.*beyond_repetitions,beyond_union,regression,added,removed,renamed,new_surface,new_surface_pct,beyond_new_surface$' &&
  pass || fail "csv header: $(head -1 "$work/check.csv")"
grep -q '^runc,.*,yes,yes,yes,yes,' "$work/check.csv" && pass || fail "csv runc row: $(grep ^runc, "$work/check.csv" | cut -c1-200)"
# diff of two cells of one store: RUNTIME/PLATFORM names the platform, as in compare.
"$HAPCTL" diff --db "$work/cand.db" --workload redis --mode function_graph,syscalls --runtime runc --runtime runsc/ptrace >"$work/diff.out" 2>&1
[ $? = 0 ] && pass || fail "diff runc vs runsc/ptrace: $(tail -2 "$work/diff.out")"
grep -q "^hap_fn: [0-9]* -> [0-9]* distinct function names" "$work/diff.out" && pass || fail "diff output: $(head -8 "$work/diff.out")"
"$HAPCTL" diff --db "$work/cand.db" --workload redis --mode function_graph,syscalls --runtime runc --runtime runsc/kvm >"$work/diff2.out" 2>&1
[ $? = 1 ] && grep -q "no complete runs" "$work/diff2.out" && pass || fail "diff with a platform that has no runs: $(cat "$work/diff2.out")"
expect_fail 2 "--fail-on must be both, repetitions, union, threshold or new-surface" -- "$HAPCTL" check --baseline "$work/base.db" --db "$work/cand.db" --fail-on all
expect_fail 2 "" -- "$HAPCTL" check --db "$work/cand.db" --max-increase 1
# Where functions live (issue 23): new surface needs the kernel's source map.
expect_fail 1 "needs the source map of kernel 6.1.0-56-amd64" -- "$HAPCTL" check --baseline "$work/base.db" --db "$work/cand.db" --fail-on new-surface
src=$root/tests/fixtures/sources
for db in base cand; do
  "$HAPCTL" sources import "$src/src-6.1-excerpt.csv" --maintainers "$src/MAINTAINERS-6.1-excerpt" --kernel 6.1.0-56-amd64 --db "$work/$db.db" >"$work/import.out" 2>&1 &&
    grep -q "^  source: function -> source file of Debian linux-source-6.1 6.1.192-3" "$work/import.out" && pass || fail "sources import: $(cat "$work/import.out")"
done
"$HAPCTL" sources locate copy_process sys:read memcpy frobnicate --kernel 6.1.0-56-amd64 --db "$work/cand.db" >"$work/locate.out" 2>&1
grep -q "^copy_process  *mapped  *by name  *kernel/fork.c  *THE REST  *kernel" "$work/locate.out" && pass || fail "locate copy_process: $(cat "$work/locate.out")"
grep -q "^sys:read  *mapped  *by name  *fs/read_write.c  *FILESYSTEMS (VFS and infrastructure)" "$work/locate.out" && pass || fail "locate sys:read: $(cat "$work/locate.out")"
grep -q "^memcpy  *ambiguous .*lib/string.c" "$work/locate.out" && pass || fail "locate memcpy: $(cat "$work/locate.out")"
grep -q "^frobnicate  *unmapped" "$work/locate.out" && pass || fail "locate an unknown name: $(cat "$work/locate.out")"
# One kernel on both sides: nothing is renamed, every new name is new surface.
"$HAPCTL" check --baseline "$work/base.db" --db "$work/cand.db" --fail-on new-surface --max-increase 100 >"$work/ns.out" 2>&1
[ $? = 0 ] && pass || fail "new surface under 100% failed: $(tail -3 "$work/ns.out")"
"$HAPCTL" check --baseline "$work/base.db" --db "$work/cand.db" --fail-on new-surface --max-increase 0 >"$work/ns0.out" 2>&1
[ $? = 1 ] && grep -q "runc redis .*REGRESSION" "$work/ns0.out" && pass || fail "new surface at 0% passed: $(cat "$work/ns0.out")"
"$HAPCTL" diff "$work/base.db" "$work/cand.db" >"$work/diff3.out" 2>&1
grep -q "^source map 6.1.0-56-amd64: function -> source file of Debian linux-source-6.1" "$work/diff3.out" && pass || fail "diff names no source map: $(head -5 "$work/diff3.out")"
grep -q "^  unmapped  *+[0-9]" "$work/diff3.out" && pass || fail "diff shows no unmapped group: $(cat "$work/diff3.out")"
"$HAPCTL" report --db "$work/cand.db" --by subsystem --runtime runc >"$work/by.out" 2>&1
grep -q "^runc .* hap_fn  *SCHEDULER  *[0-9]" "$work/by.out" && grep -q "^runc .* hap_fn  *unmapped  *[0-9]" "$work/by.out" && pass ||
  fail "report --by subsystem: $(head -5 "$work/by.out")"
"$HAPCTL" export --db "$work/cand.db" --format long >"$work/long.csv" 2>&1
grep -q ',function,schedule,schedule,[0-9]*,kernel/sched/core.c,SCHEDULER,kernel/sched$' "$work/long.csv" && pass ||
  fail "long export: $(grep ',schedule,' "$work/long.csv" | head -2)"
printf 'function,complexity\ncopy_process,3\n' >"$work/cc.csv"
expect_fail 1 "cc.csv:1: expected the header 'function,file,line,how'" -- "$HAPCTL" sources import "$work/cc.csv" --kernel 6.1.0-56-amd64 --db "$work/x.db"
expect_fail 1 "cannot read .*nothing.MAINTAINERS" -- "$HAPCTL" sources import "$src/src-6.1-excerpt.csv" --maintainers "$work/nothing.MAINTAINERS" --kernel 6.1.0-56-amd64 --db "$work/x.db"
[ ! -e "$work/x.db" ] && pass || fail "a refused import created a store"
expect_fail 1 "no source map for kernel 6.12" -- "$HAPCTL" sources locate copy_process --kernel 6.12.95+deb12-amd64 --db "$work/cand.db"
# Across modes (issue 22): native redis in the lab, 5 runs of function_retire
# and 5 of a full function capture (scripts/lab/retire-figures.sh).
retire=$root/tests/fixtures/analysis/lab-6.1-retire-native-redis.db
cp "$retire" "$work/retire.db"
only() {  # DB MODE: a copy of the fixture with the runs of MODE alone
  cp "$retire" "$1"
  sqlite3 "$1" "PRAGMA foreign_keys=ON; DELETE FROM hits WHERE run_id IN (SELECT id FROM runs WHERE mode!='$2');
    DELETE FROM run_tasks WHERE run_id IN (SELECT id FROM runs WHERE mode!='$2'); DELETE FROM runs WHERE mode!='$2';"
}
only "$work/full.db" function; only "$work/retiring.db" function_retire
expect_fail 1 "runs of different modes cannot be compared" -- "$HAPCTL" check --baseline "$work/full.db" --db "$work/retiring.db"
expect_fail 2 "--baseline-mode needs --mode" -- "$HAPCTL" check --baseline "$work/retire.db" --db "$work/retire.db" --baseline-mode function
"$HAPCTL" check --baseline "$work/retire.db" --db "$work/retire.db" --baseline-mode function --mode function_retire --fail-on repetitions >"$work/across.out" 2>&1
[ $? = 0 ] && grep -q "^native redis  *function -> function_retire  *hap_fn .* no (±" "$work/across.out" && pass ||
  fail "function_retire against function: $(cat "$work/across.out")"
grep -q "differs (either way, across modes)" "$work/across.out" && pass || fail "across modes not said: $(head -1 "$work/across.out")"
finish
