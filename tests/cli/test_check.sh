#!/usr/bin/env bash
# The CI gate on two recorded run sets of the same cells (redis under runc,
# gVisor ptrace and native, function_graph, 3 runs each, lab on Debian 6.1):
# tests/fixtures/analysis/lab-6.1-batch1.db (baseline) and results/lab-6.1/hap.db
# (candidate, measured an hour later). runc grew +2.6% between them.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
base=$root/tests/fixtures/analysis/lab-6.1-batch1.db
cand=$root/results/lab-6.1/hap.db
cp "$base" "$work/base.db"; cp "$cand" "$work/cand.db"   # check reads; copies keep the repo untouched

"$HAPCTL" check --baseline "$work/base.db" --db "$work/base.db" --max-increase 0 >"$work/same.out" 2>&1
[ $? = 0 ] && pass || fail "identical sets did not pass: $(tail -2 "$work/same.out")"
"$HAPCTL" check --baseline "$work/base.db" --db "$work/cand.db" --max-increase 5 >"$work/pass.out" 2>&1
[ $? = 0 ] && pass || fail "+2.6% failed a 5% gate: $(tail -2 "$work/pass.out")"
"$HAPCTL" check --baseline "$work/base.db" --db "$work/cand.db" --max-increase 1 >"$work/fail.out" 2>&1
[ $? = 1 ] && pass || fail "+2.6% passed a 1% gate"
grep -q "runc redis .*REGRESSION" "$work/fail.out" && pass || fail "runc not named as the regression"
grep -q "native redis .* ok" "$work/fail.out" && pass || fail "native (+0.7%) not ok at 1%"
expect_fail 2 "" -- "$HAPCTL" check --db "$work/cand.db" --max-increase 1
finish
