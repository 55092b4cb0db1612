#!/usr/bin/env bash
# Lab test: one short real measurement inside the lab VM (scripts/lab/run):
# redis under runc, brought back as OUT/hap.db and read with the host's hapctl.
# Exit 77 (SKIP) when the lab cannot run here. About 90 s with a built guest
# disk (~80 s more the first time).
#   HAP_LAB_TEST_RUNTIME (default runc), HAP_LAB_TEST_MODE (default syscalls;
#   function_graph / function also require HAP_fn > 0).
set -uo pipefail

. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
runtime="${HAP_LAB_TEST_RUNTIME:-runc}"
mode="${HAP_LAB_TEST_MODE:-syscalls}"

command -v python3 >/dev/null || skip "python3 not installed (reads the export)"

out=$(mktemp -d /tmp/hap-lab-test.XXXXXX)
trap 'rm -rf -- "$out"' EXIT
rc=0
lab_boot 1700 "$out" --timeout 900 -- \
  measure --runtime "$runtime" --workload redis --mode "$mode" --reps 1 --duration 5 >/dev/null || rc=$?

check "lab run exits 0" test "$rc" = 0
check "hap.db came back" test -s "$out/hap.db"
check "no kernel panic" bash -c "! grep -q 'Kernel panic' '$out/console.log'"
export_json="$out/export.json"
"$hapctl" export --format json --all --db "$out/hap.db" >"$export_json" 2>"$out/export.err" || true
field() { # key -> value of the first run
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r[0].get(sys.argv[2]) if r else "no runs")' "$export_json" "$1" 2>/dev/null || echo unreadable
}
check "one run exported" python3 -c 'import json,sys; sys.exit(0 if len(json.load(open(sys.argv[1]))) == 1 else 1)' "$export_json"
check "run is complete" test "$(field status)" = complete
check "measured on the lab kernel (6.1)" bash -c "[[ '$(field kernel)' == 6.1.* ]]"
check "runtime is $runtime" test "$(field runtime)" = "$runtime"
case "$mode" in
  *function*) check "HAP_fn > 0" python3 -c 'import sys; v=sys.argv[1]; sys.exit(0 if v not in ("None","") and float(v) > 0 else 1)' "$(field hap_fn)" ;;
esac
case "$mode" in
  *syscalls*) check "HAP_sys > 0" python3 -c 'import sys; v=sys.argv[1]; sys.exit(0 if v not in ("None","") and float(v) > 0 else 1)' "$(field hap_sys)" ;;
esac
check "throughput recorded" python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))[0]; t=r.get("throughput"); sys.exit(0 if t not in (None,"") and float(t) > 0 else 1)' "$export_json"
if [ "$failed" -gt 0 ]; then
  echo "--- hapctl.log:"; tail -n 20 "$out/hapctl.log" 2>/dev/null
  echo "--- export:"; head -c 3000 "$export_json" 2>/dev/null; cat "$out/export.err" 2>/dev/null
  echo "--- console.log (last 30 lines):"; tail -n 30 "$out/console.log" 2>/dev/null
fi
finish
