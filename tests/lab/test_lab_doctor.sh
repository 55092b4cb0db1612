#!/usr/bin/env bash
# Lab test: boots the lab VM (scripts/lab/run) on Debian's stock 6.1 kernel and
# checks with `hapctl doctor --format json` that function-level tracing and KVM
# are available in the guest. Exit 77 (SKIP) when the lab cannot run here.
# First run builds the guest root disk (~2-3 min); later runs boot only (~1 min).
set -uo pipefail

. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed (reads doctor's JSON)"

out=$(mktemp -d /tmp/hap-lab-test.XXXXXX)
trap 'rm -rf -- "$out"' EXIT
rc=0
lab_boot 1500 "$out" --timeout 600 -- doctor --format json >/dev/null || rc=$?

check "lab run exits 0" test "$rc" = 0
check "exit-code written" test -f "$out/exit-code"
check "console log kept" test -s "$out/console.log"
check "no kernel panic" bash -c "! grep -q 'Kernel panic' '$out/console.log'"
json="$out/hapctl.log"
# doctor --format json: {"checks": [{"area", "item", "status", "detail"}...]}
status_of() { # item -> prints its status
  python3 - "$json" "$1" <<'PY'
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"unparsable ({e})"); sys.exit(0)
for c in doc.get("checks", []):
    if c.get("item") == sys.argv[2]:
        print(c.get("status", "?")); break
else:
    print("absent")
PY
}
is_status() { # item wanted...
  local item=$1 got w; shift
  got=$(status_of "$item")
  for w in "$@"; do [ "$got" = "$w" ] && return 0; done
  echo "  doctor says '$item': $got (wanted: $*)"
  return 1
}
check "doctor output is JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$json"
check "function_graph available in the guest" is_status "--mode function_graph" ok
check "function available in the guest" is_status "--mode function" ok
check "kvm events available in the guest" is_status "--mode kvm" ok
# hapctl never runs a guest on /dev/kvm itself (warn, not ok); the lab's own
# kvm-probe does, inside the guest, and says so on the console.
check "/dev/kvm opens in the guest" is_status "/dev/kvm" ok warn
check "nested KVM runs a guest (kvm-probe in the lab VM)" grep -q "kvm-probe: guest ran and halted" "$out/console.log"
if [ "$failed" -gt 0 ]; then
  echo "--- hapctl.log:"; head -c 4000 "$json" 2>/dev/null
  echo "--- console.log (last 30 lines):"; tail -n 30 "$out/console.log" 2>/dev/null
fi
finish
