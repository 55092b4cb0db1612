#!/bin/bash
# The vm reference set (scripts/reference-results vm), run in the lab guest
# by scripts/lab/run --script: `hapctl compare` over vm/q35, vm/microvm,
# native, runc and runsc/ptrace x redis and nginx, one cell per compare, with
# the arguments given after -- (reps, modes, duration...). After each cell
# the store is copied to OUT/hap.db.partial: a lab guest that stops (scripts/
# lab/run --stall) loses at most the cell it was in, and the next lab run,
# started from that store, measures only what it lacks (compare resumes).
set -u
rc=0
for w in redis nginx; do
  for rt in vm/q35 vm/microvm native runc runsc/ptrace; do
    "$HAPCTL" compare --runtimes "$rt" --workloads "$w" "$@" || rc=1
    # hapctl has exited: SQLite checkpointed its WAL into the file.
    cp "$HAP_DB" /hap/out/hap.db.partial.tmp && mv -f /hap/out/hap.db.partial.tmp /hap/out/hap.db.partial
  done
done
"$HAPCTL" runs
exit "$rc"
