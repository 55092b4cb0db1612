#!/usr/bin/env bash
# hapctl trace --record as a user meets it (issue 14): a record the disk keeps
# up with says complete in meta.json, the run's settings and trace's output;
# one written to a disk that fills up mid-run says incomplete,
# disk_full, with the file and the pages missing, and the run itself still
# completes with its figures. Needs root, raw_syscalls events and tmpfs.
. "$(dirname "$0")/lib.sh"
need_root
[ -e /sys/kernel/tracing/events/raw_syscalls/sys_enter ] || skip "no raw_syscalls events in /sys/kernel/tracing"

db="$work/r.db"
"$HAPCTL" trace --mode syscalls --db "$db" --record "$work/cap" -- ls / >"$work/ok.out" 2>&1 ||
  fail "trace --record: $(cat "$work/ok.out")"
grep -qE "^record $work/cap: complete \([0-9]+ pages\)" "$work/ok.out" && pass ||
  fail "trace did not say the record is complete: $(cat "$work/ok.out")"
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["record"]["complete"])' "$work/cap/meta.json")" = True ] &&
  pass || fail "meta.json's record: $(cat "$work/cap/meta.json")"
[ "$(sql "$db" "select json_extract(settings, '\$.record.complete') from runs where status = 'complete'")" = 1 ] &&
  pass || fail "the run's settings.record is not complete"

# A disk that fills up: a tmpfs of 128 KiB holds the formats and a few pages.
mkdir -p "$work/tiny"
mount -t tmpfs -o size=128k tmpfs "$work/tiny" || skip "cannot mount a tmpfs"
trap 'umount "$work/tiny" 2>/dev/null; rm -rf "$work"' EXIT
"$HAPCTL" trace --mode syscalls --db "$db" --record "$work/tiny/cap" -- find /usr/share -maxdepth 3 >"$work/full.out" 2>&1 ||
  fail "a full disk failed the run: $(grep -v '^/usr' "$work/full.out")"
grep -qE "^record $work/tiny/cap: INCOMPLETE \(disk full\): [0-9]+ pages missing; cannot write $work/tiny/cap/per_cpu/cpu[0-9]+/trace_pipe_raw: No space left on device" \
  "$work/full.out" && pass || fail "trace did not say the disk filled: $(grep -v '^/usr' "$work/full.out")"
r=$(sql "$db" "select status || ' ' || json_extract(settings, '\$.record.complete') || ' ' || json_extract(settings, '\$.record.reason')
               from runs order by id desc limit 1")
[ "$r" = "complete 0 disk_full" ] && pass || fail "stored run and record: '$r'"
finish
