#!/usr/bin/env bash
# Every runtime x workload cell a user reaches after scripts/setup: runc,
# runsc, docker, docker:runsc and native x redis, python, node, nginx,
# measured at syscall level (one repetition, 1 s of load, no untraced
# baseline: the point is that each cell runs, not its figures). Each must
# come back complete, stored as such; a cell that fails is reported with
# what `hapctl doctor` says of that runtime's cells, the line a user would
# read to find the missing part (issue 13). Run on CI's fresh machine, this
# is the fresh-machine check. About 4 minutes once the images are built.
. "$(dirname "$0")/lib.sh"
need_root
command -v sqlite3 >/dev/null || skip "sqlite3 not installed"
grep -qw raw_syscalls <(ls /sys/kernel/tracing/events 2>/dev/null) || skip "no raw_syscalls events in tracefs"

db=$work/matrix.db
doctor=$("$HAPCTL" doctor 2>/dev/null)
for rt in runc runsc docker docker:runsc native; do
  for w in redis python node nginx; do
    t0=$(date +%s)
    out=$("$HAPCTL" measure --runtime "$rt" --workload "$w" --mode syscalls --reps 1 --duration 1 --no-untraced \
      --db "$db" 2>&1 >/dev/null)
    rc=$?
    took=$(( $(date +%s) - t0 ))
    status=$(sql "$db" "select status from runs where runtime='$rt' and workload='$w' order by id desc limit 1" 2>/dev/null)
    if [ "$rc" = 0 ] && [ "$status" = complete ]; then
      echo "ok: $rt x $w complete ($took s)"
      pass
    else
      fail "$rt x $w: exit $rc, stored '${status:-nothing}' ($took s): $(grep -v '^hapctl: ' <<<"$out" | head -2 | tr '\n' ' ')"
      echo "  doctor: $(grep -E "^cell +$rt x " <<<"$doctor" | tr -s ' ')"
    fi
  done
done
finish
