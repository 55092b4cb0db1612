#!/usr/bin/env bash
# A workload file end to end (CI-sized, on this host, syscalls): hapctl
# workload check, a measurement of a user's file whose readiness, setup and
# load are its own, the file kept in the store with its secret redacted, and
# each run-time failure of a file stored as a failed run with its reason.
source "$(dirname "$0")/lib.sh"

# --- checked before anything starts (no root needed) ---------------------------
"$HAPCTL" workload list | grep -q '^redis ' && pass || fail "workload list lacks redis"
"$HAPCTL" workload check --help | grep -q "usage: hapctl workload" && pass || fail "workload --help"
cat >"$work/typo.toml" <<'EOF2'
name = "typo"
[root]
debian-packages = ["redis-server"]
[service]
command = ["/usr/bin/redis-server"]
port = 6379
[ready]
probe = "tcp"
[load]
driver = "redis-benchmark"
concurency = 8
EOF2
expect_fail 2 "typo.toml:11: load.concurency: unknown key" -- "$HAPCTL" workload check "$work/typo.toml"
expect_fail 2 "typo.toml:11: load.concurency: unknown key" -- \
  "$HAPCTL" measure --runtime native --workload "$work/typo.toml" --db "$work/typo.db"
[ ! -e "$work/typo.db" ] && pass || fail "a bad file still created a store"
expect_fail 2 "workload file $work/none.toml: " -- "$HAPCTL" workload check "$work/none.toml"
# A built-in's name that is also a file here is ambiguous.
( cd "$work" && touch redis && expect_fail 2 "'redis' is both a built-in workload and a file" -- \
    "$HAPCTL" measure --runtime native --workload redis --db "$work/amb.db"; rm -f redis )
"$HAPCTL" workload show redis --packages | grep -qx "redis-server" && pass || fail "workload show --packages"

need_root
command -v redis-server >/dev/null || skip "redis-server is not installed (scripts/setup)"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed (reads the store)"

# write_file NAME READY SETUP LOAD_COMMAND THROUGHPUT: a redis workload file
# whose probe, setup and load are its own.
write_file() {
  cat >"$work/$1.toml" <<EOF2
# a user's file: redis with its own probe, setup and load
name = "kv-$1"
[root]
debian-packages = ["redis-server"]
[service]
command = ["/usr/bin/redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no",
           "--port", "6380"]
port = 6380
env = { KV_MODE = "test", KV_TOKEN = "hunter2-not-stored" }
secret-env = ["KV_TOKEN"]
[ready]
$2
[[setup]]
command = $3
[load]
command = $4
concurrency = 4
throughput = '$5'
unit = "requests/s"
EOF2
}

# One complete run from a file.
write_file good 'probe = "tcp"' '["redis-cli", "-h", "{address}", "-p", "{port}", "SET", "seeded", "1"]' \
  '["redis-benchmark", "-h", "{address}", "-p", "{port}", "-c", "{concurrency}", "-t", "get", "-n", "20000", "-q"]' \
  'GET: ([0-9.]+) requests per second'
"$HAPCTL" workload check "$work/good.toml" | grep -q "ok: workload kv-good" && pass || fail "check of a good file"
if "$HAPCTL" measure --runtime native --workload "$work/good.toml" --mode syscalls --duration 2 --no-untraced \
     --db "$work/good.db" >"$work/good.out" 2>"$work/good.err"; then pass; else fail "measure of a file: $(tail -3 "$work/good.err")"; fi
grep -q "ready; 1 setup step(s)" "$work/good.err" && pass || fail "no setup progress line: $(cat "$work/good.err")"
row=$(sql "$work/good.db" "SELECT status, workload, throughput > 0, throughput_unit, workload_origin FROM runs")
[ "$row" = "complete|kv-good|1|requests/s|$work/good.toml" ] && pass || fail "stored '$row'"
kept=$(sql "$work/good.db" "SELECT workload_file FROM runs")
grep -q 'KV_TOKEN = "<redacted>"' <<<"$kept" && pass || fail "secret not redacted in the stored file: $kept"
grep -q 'hunter2' <<<"$kept" && fail "the secret value was stored" || pass
grep -q 'KV_MODE = "test"' <<<"$kept" && pass || fail "the stored file lost its text"
n=$(sql "$work/good.db" "SELECT count(*) FROM hits h JOIN symbols s ON s.id = h.symbol_id WHERE s.kind = 'syscall'")
[ "$n" -ge 4 ] && pass || fail "only $n syscall hits stored"

# measure_fails NAME PATTERN [ARGS...]: the file NAME.toml fails at run time:
# exit 1, one error line matching PATTERN, the run stored failed with it.
measure_fails() {
  local name=$1 pattern=$2; shift 2
  local rc
  "$HAPCTL" measure --runtime native --workload "$work/$name.toml" --mode syscalls --duration 2 --no-untraced \
    --db "$work/$name.db" "$@" >/dev/null 2>"$work/$name.err"; rc=$?
  [ "$rc" = 1 ] && pass || fail "$name: exit $rc, want 1: $(cat "$work/$name.err")"
  [ "$(grep -v '^hint: ' "$work/$name.err" | grep -vc '^hapctl: ')" = 1 ] && pass || fail "$name: not one error line: $(cat "$work/$name.err")"
  grep -qE -- "$pattern" "$work/$name.err" && pass || fail "$name: error lacks /$pattern/: $(cat "$work/$name.err")"
  local row; row=$(sql "$work/$name.db" "SELECT status || '|' || coalesce(reason, '') FROM runs")
  [[ "$row" == failed\|* ]] && pass || fail "$name: stored '$row', want a failed run"
  grep -qE -- "$pattern" <<<"$row" && pass || fail "$name: stored reason '$row' lacks /$pattern/"
  pgrep -f "redis-server.*6380" >/dev/null && fail "$name: redis-server left running" || pass
}

ok_load='["redis-benchmark", "-h", "{address}", "-p", "{port}", "-t", "get", "-n", "2000", "-q"]'
write_file probe 'probe = "command"
command = ["sh", "-c", "exit 1"]' '["true"]' "$ok_load" 'GET: ([0-9.]+) requests per second'
measure_fails probe "never answered its readiness probe within 3 s" --ready-timeout 3

write_file setup 'probe = "tcp"' '["sh", "-c", "echo relation pgbench_accounts does not exist >&2; exit 3"]' \
  "$ok_load" 'GET: ([0-9.]+) requests per second'
measure_fails setup "setup step 1 \(sh\) failed \(exit 3\): relation pgbench_accounts does not exist"

write_file notfound 'probe = "tcp"' '["true"]' '["hap-no-such-load-tool", "{address}"]' 'x ([0-9]+)'
measure_fails notfound "load command hap-no-such-load-tool cannot start: not found on this host"

write_file unreadable 'probe = "tcp"' '["true"]' "$ok_load" 'TPS: ([0-9.]+)'
measure_fails unreadable "the throughput cannot be read from the load's output: load.throughput 'TPS: \(\[0-9.\]\+\)' does not match"

finish
