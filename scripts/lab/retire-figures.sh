#!/bin/bash
# Issue 22's figures in one lab boot (scripts/lab/run --script, 2 vCPUs):
#   1. the retiring mode on the reference cells (native and runc x redis and
#      nginx), 5 repetitions of 30 s, each with its untraced baseline: the
#      throughput share and the events lost;
#   2. a full `function` capture of the same cells, 5 repetitions, no
#      baselines: what `hapctl check --baseline-mode function` compares the
#      retiring runs with (Welch's test per figure and per role);
#   3. scripts/bench-live: untraced, hap's retiring mode and trace-cmd
#      record -p function with the same events, alternating, 5 rounds of 30 s;
#   4. runsc/systrap in the retiring mode, the same way as 1.
# Each step appends to the one store ($HAP_DB); after each cell it is copied
# to OUT/hap.db.partial, so a guest that stops loses at most one cell.
# Arguments after -- are passed to every compare (e.g. --reps 3 for a short try).
# About 80 minutes under TCG on 2 host cores.
#
# With `vm` as the first argument it measures vm/q35 redis instead (a lab of
# one vCPU with nested KVM: scripts/lab/run --qemu backports --cpu max --cpus 1):
# the retiring mode with baselines (5 repetitions), then the full function
# capture (3).
set -u
rc=0
keep() { cp "$HAP_DB" /hap/out/hap.db.partial.tmp && mv -f /hap/out/hap.db.partial.tmp /hap/out/hap.db.partial; }
step() { echo "retire-figures: $* ($(date +%T))"; }
if [ "${1:-}" = vm ]; then
  shift
  for mode in function_retire function; do
    extra=(--reps 5); [ "$mode" = function ] && extra=(--reps 3 --no-untraced)
    step "vm/q35 redis, $mode"
    "$HAPCTL" compare --runtimes vm/q35 --workloads redis --mode "$mode" --duration 30 "${extra[@]}" "$@" || rc=1
    keep
  done
  "$HAPCTL" runs
  exit "$rc"
fi
cells() {  # MODE EXTRA...: one compare per cell of native and runc x redis and nginx
  local mode=$1; shift
  for w in redis nginx; do
    for rt in native runc; do
      step "$rt $w, $mode"
      "$HAPCTL" compare --runtimes "$rt" --workloads "$w" --mode "$mode" --reps 5 --duration 30 "$@" || rc=1
      keep
    done
  done
}
cells function_retire "$@"
cells function --no-untraced "$@"
step "bench-live: untraced, hap function_retire, trace-cmd -p function"
python3 /hap/scripts/bench-live --modes function_retire --workloads redis,nginx --seconds 30 --rounds 5 || rc=1
for w in redis nginx; do
  step "runsc/systrap $w, function_retire"
  "$HAPCTL" compare --runtimes runsc/systrap --workloads "$w" --mode function_retire --reps 5 --duration 30 "$@" || rc=1
  keep
done
"$HAPCTL" runs
exit "$rc"
