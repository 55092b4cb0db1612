#!/usr/bin/env bash
# The store fails during a run served by hapd: a database on a read-only
# filesystem, and a full one. hapctl prints one clear error line, the
# earlier runs stay intact, hapd keeps serving, and the run that could not
# be finished is marked aborted once the store is writable again.
. "$(dirname "$0")/lib.sh"
need_measure
command -v mkfs.ext4 >/dev/null || skip "e2fsprogs is not installed"
start_hapd || { fail "hapd did not start"; finish; exit; }
mnt=$work/mnt
mkdir -p "$mnt"
# A small ext4 on a loop device (tmpfs would do for "full", not for a real remount).
truncate -s 8M "$work/fs.img"
mkfs.ext4 -q -F "$work/fs.img" || skip "mkfs.ext4 failed"
mount -o loop "$work/fs.img" "$mnt" 2>/dev/null || skip "cannot loop-mount (no loop devices?)"
trap 'stop_hapd; umount "$mnt" 2>/dev/null; rm -rf "$work"' EXIT
db=$mnt/hap.db
m() { "$HAPCTL" measure --runtime runc --workload redis --mode syscalls --duration "$1" --db "$db" >"$2" 2>&1; }

m 1 "$work/first.log" && pass || fail "first run: $(tail -2 "$work/first.log")"
before=$(sql "$db" "select id, status, (select count(*) from hits where run_id = runs.id) from runs")

# --- read-only store: ext4 refuses a read-only remount while hapd holds the
# database open, so the store is made read-only between runs.
mount -o remount,ro "$mnt" || fail "cannot remount read-only"
m 1 "$work/ro.log"; rc=$?
[ "$rc" = 1 ] && pass || fail "read-only store: exit $rc, want 1: $(tail -3 "$work/ro.log")"
[ "$(grep -c "^hapctl measure: " "$work/ro.log")" = 1 ] && grep -qiE "read-only|readonly|cannot be written" "$work/ro.log" && pass ||
  fail "read-only store: not one clear error: $(grep -v '^hapctl: ' "$work/ro.log")"
echo "read-only error: $(grep '^hapctl measure: ' "$work/ro.log")"
mount -o remount,rw "$mnt" || fail "cannot remount read-write"
kill -0 "$hapd_pid" && pass || fail "hapd died on a read-only store"

# --- full while the run is tracing. SQLite may still fit the run's rows into
# space its files already hold; then the run completes, which is also fine.
m 4 "$work/full.log" & pid=$!
wait_for "$work/full.log" "tracing, load" || fail "run did not reach tracing"
dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null; dd if=/dev/zero of="$mnt/filler2" bs=1k 2>/dev/null  # the last blocks too
wait "$pid"; rc=$?
if [ "$rc" = 0 ]; then echo "note: the run that filled the disk still fit: $(grep '^stored' "$work/full.log")"
else
  [ "$rc" = 1 ] && [ "$(grep -c "^hapctl measure: " "$work/full.log")" = 1 ] && pass || fail "full store mid-run: exit $rc, $(grep -v '^hapctl: ' "$work/full.log")"
  echo "full-disk error (mid-run): $(grep '^hapctl measure: ' "$work/full.log")"
fi
# The disk stays full for the next run: it must be refused clearly.
m 1 "$work/full2.log"; rc=$?
[ "$rc" = 1 ] && [ "$(grep -c "^hapctl measure: " "$work/full2.log")" = 1 ] && grep -qiE "full|no space" "$work/full2.log" && pass ||
  fail "full store: exit $rc, not one clear error: $(grep -v '^hapctl: ' "$work/full2.log")"
echo "full-disk error: $(grep '^hapctl measure: ' "$work/full2.log")"
rm -f "$mnt/filler" "$mnt/filler2"
kill -0 "$hapd_pid" && pass || fail "hapd died on a full store"

# --- earlier runs intact; the unfinished ones aborted once hapd restarts.
[ "$(sql "$db" "pragma integrity_check")" = ok ] && pass || fail "store damaged: $(sql "$db" "pragma integrity_check")"
after=$(sql "$db" "select id, status, (select count(*) from hits where run_id = runs.id) from runs where id = 1")
[ "$after" = "$before" ] && pass || fail "first run changed: '$before' -> '$after'"
stop_hapd; start_hapd || fail "hapd did not restart"
m 1 "$work/last.log" && pass || fail "run after the store recovered: $(tail -2 "$work/last.log")"
left=$(sql "$db" "select count(*) from runs where status = 'running'")
[ "$left" = 0 ] && pass || fail "$left run(s) still read running: $(sql "$db" "select id, status, reason from runs")"
echo "runs: $(sql "$db" "select group_concat(id || ':' || status, ' ') from runs")"
finish
