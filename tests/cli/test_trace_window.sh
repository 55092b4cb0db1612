#!/usr/bin/env bash
# hapctl trace's counting window (--delay, --duration, SIGUSR1) as a user
# meets it: bad values get one line, a hint and exit 2 before anything is
# touched; a window that never opens fails the run; runs and report name it.
. "$(dirname "$0")/lib.sh"

db="$work/w.db"
expect_fail 2 "--delay: 'abc' is not a number of seconds" -- "$HAPCTL" trace --delay abc --db "$db" -- true
expect_fail 2 "--delay: '2s' is not a number of seconds" -- "$HAPCTL" trace --delay 2s --db "$db" -- true
expect_fail 2 "--delay: -1 is negative" -- "$HAPCTL" trace --delay=-1 --db "$db" -- true
expect_fail 2 "--delay: -0.5 is negative" -- "$HAPCTL" trace --delay=-0.5 --db "$db" -- true
expect_fail 2 "'--delay' should follow" -- "$HAPCTL" trace --delay= --db "$db" -- true
expect_fail 2 "--duration: 'inf' is not a number of seconds" -- "$HAPCTL" trace --duration inf --db "$db" -- true
expect_fail 2 "--duration: 'nan' is not a number of seconds" -- "$HAPCTL" trace --duration nan --db "$db" -- true
expect_fail 2 "--duration: must be more than 0 seconds" -- "$HAPCTL" trace --duration 0 --db "$db" -- true
expect_fail 2 "--duration: -3 is negative" -- "$HAPCTL" trace --duration=-3 --db "$db" -- true
expect_fail 2 "--delay: 1e12 s is more than a year" -- "$HAPCTL" trace --delay 1e12 --db "$db" -- true
expect_fail 2 "--delay: -1 is negative" -- "$HAPCTL" trace --delay -1 --db "$db" -- true
# Each with a hint that shows the form.
"$HAPCTL" trace --delay abc -- true 2>&1 | grep -q '^hint: --delay takes seconds, fractions allowed' && pass ||
  fail "no hint for a bad --delay"
[ ! -e "$db" ] && pass || fail "a bad window value created the database"
"$HAPCTL" trace --help | grep -q -- '--delay' && "$HAPCTL" trace --help | grep -q -- '--duration' &&
  "$HAPCTL" trace --help | grep -q 'SIGUSR1' && pass || fail "trace --help does not describe the window"

if [ "$(id -u)" = 0 ] && [ -e /sys/kernel/tracing/events/raw_syscalls/sys_enter ]; then
  # The command ends before the window opens: nothing counted, the run failed.
  expect_fail 1 "exited .* before the window opened: nothing was counted" -- \
    "$HAPCTL" trace --mode syscalls --delay 3 --db "$db" -- true
  [ "$(sql "$db" "select status from runs")" = failed ] && pass || fail "a run with no window was not marked failed"

  # A short window is stored with the run and shown by runs and report.
  "$HAPCTL" trace --mode syscalls --delay 0.2 --duration 0.3 --db "$db" -- sleep 5 >"$work/t.out" 2>&1 ||
    fail "trace --delay 0.2 --duration 0.3: $(cat "$work/t.out")"
  grep -q "then stopped the command" "$work/t.out" && pass || fail "trace did not say it stopped the command: $(cat "$work/t.out")"
  w=$(sql "$db" "select json_extract(settings, '\$.window.delay_s') || ' ' || json_extract(settings, '\$.window.duration_s') || ' ' ||
                        json_extract(settings, '\$.window.started_by') || ' ' || json_extract(settings, '\$.window.stopped_command')
                 from runs where status = 'complete'")
  [ "$w" = "0.2 0.3 delay 1" ] && pass || fail "stored window: '$w'"
  "$HAPCTL" runs --db "$db" | grep -q "from 0.2 s for 0.3 s" && pass || fail "runs does not show the window: $("$HAPCTL" runs --db "$db")"
  "$HAPCTL" report --db "$db" | grep -q "window from 0.2 s for 0.3 s" && pass ||
    fail "report does not show the window: $("$HAPCTL" report --db "$db")"
else
  echo "note: not root or no raw_syscalls events: the stored-window checks do not run"
fi
finish
