#!/usr/bin/env bash
# hapd's front door: strict request validation, peer credentials, and the
# same measurement through hapd and in-process giving the same stored figures.
. "$(dirname "$0")/lib.sh"
need_measure
start_hapd || { fail "hapd did not start"; finish; exit; }

expect_error() {  # expect_error PATTERN LINE...
  local pattern=$1; shift
  local out; out=$($RAW --timeout=5 "$HAP_SOCKET" "$@" 2>&1)
  if grep -q '"type":"error"' <<<"$out" && grep -qE -- "$pattern" <<<"$out"; then pass; else fail "$* -> $out (want /$pattern/)"; fi
}
expect_error 'unknown field \\"bogus\\"' '{"v":1,"type":"measure","runtime":"runc","workload":"redis","db_path":"/tmp/x.db","bogus":1}'
expect_error 'field \\"reps\\" must be an integer' '{"v":1,"type":"measure","runtime":"runc","workload":"redis","db_path":"/tmp/x.db","reps":"3"}'
expect_error 'must be between 1 and 1000' '{"v":1,"type":"measure","runtime":"runc","workload":"redis","db_path":"/tmp/x.db","reps":0}'
expect_error 'absolute path' '{"v":1,"type":"measure","runtime":"runc","workload":"redis","db_path":"rel.db"}'
expect_error 'may hold only letters' '{"v":1,"type":"measure","runtime":"runc; rm -rf /","workload":"redis","db_path":"/tmp/x.db"}'
expect_error 'version 2 is not spoken' '{"v":2,"type":"hello"}'
expect_error 'unknown request type' '{"v":1,"type":"shell","cmd":"id"}'
expect_error 'not a JSON document' 'hello'
expect_error 'not a JSON object' '[1,2,3]'
expect_error 'line longer than 65536' "{\"v\":1,\"type\":\"hello\",\"client\":\"$(head -c 70000 /dev/zero | tr '\0' a)\"}"
out=$($RAW --timeout=5 "$HAP_SOCKET" '{"v":1,"type":"hello","client":"test"}' '{"v":1,"type":"status"}')
grep -q '"type":"hello"' <<<"$out" && grep -q '"type":"status"' <<<"$out" && pass || fail "hello/status: $out"
# A peer that is neither root nor in group hap is refused by SO_PEERCRED even
# when the socket's mode would let it connect.
if command -v setpriv >/dev/null; then
  chmod 0711 "$work"; chmod 0666 "$HAP_SOCKET"
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups $RAW --timeout=5 "$HAP_SOCKET" '{"v":1,"type":"status"}' 2>&1)
  chmod 0660 "$HAP_SOCKET"
  grep -q 'permission denied' <<<"$out" && pass || fail "uid 65534 was not refused: $out"
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$HAPCTL" measure -r runc -w redis --db /tmp/x.db 2>&1)
  grep -q 'cannot reach hapd' <<<"$out" && pass || fail "hapctl as uid 65534: $out"
fi
[ "$(stat -c %a "$HAP_SOCKET")" = 660 ] && pass || fail "socket mode $(stat -c %a "$HAP_SOCKET"), want 660"

# Same measurement, through hapd and in-process: same printed shape, same figures.
"$HAPCTL" measure --runtime runc --workload redis --mode syscalls --duration 2 --db "$work/via.db" >"$work/via.out" 2>"$work/via.err" ||
  fail "through hapd: $(tail -2 "$work/via.err")"
"$HAPCTL" measure --no-daemon --runtime runc --workload redis --mode syscalls --duration 2 --db "$work/in.db" >"$work/in.out" 2>"$work/in.err" ||
  fail "in-process: $(tail -2 "$work/in.err")"
grep -q "job .*complete" "$work/hapd.log" && pass || fail "hapd did not run the first measurement"
# A live run is not bit-for-bit repeatable (redis may or may not call, say,
# getpeername): the tables must have the same shape and the stored sets may
# differ by at most 2 symbols. Columns are as wide as their widest figure, so
# spaces are compared as one (a throughput of 999 against 1000 widened them).
norm() { sed -E 's/[0-9]+ requests\/s/N requests\/s/g; s/complete( +[-0-9]+)+ +N/complete N/; s/stored in .*/stored/; s/ +/ /g' "$1"; }
[ "$(norm "$work/via.out")" = "$(norm "$work/in.out")" ] && pass || fail "outputs differ: $(diff <(norm "$work/via.out") <(norm "$work/in.out"))"
q="select s.kind||':'||h.role||':'||s.normalized from hits h join symbols s on s.id = h.symbol_id order by 1"
via=$(sql "$work/via.db" "$q" 2>&1); inp=$(sql "$work/in.db" "$q" 2>&1)
differ=$(diff <(echo "$via") <(echo "$inp") | grep -c '^[<>]')
if [ -n "$via" ] && [ "$differ" -le 2 ]; then pass; else fail "stored figures differ by $differ: $(diff <(echo "$via") <(echo "$inp") | head -5)"; fi
echo "figures: hapd $(sql "$work/via.db" "select status from runs") $(wc -l <<<"$via") symbols; in-process $(sql "$work/in.db" "select status from runs") $(wc -l <<<"$inp") symbols; $differ differ"
finish
