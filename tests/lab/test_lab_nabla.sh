#!/usr/bin/env bash
# Lab test: Nabla at function level and on nested KVM, in one lab boot
# (tests/lab/guest/nabla_checks.sh). Nabla is not packaged for Debian: give
# an install tree in HAP_LAB_NABLA_INSTALL (root-shaped: opt/runnc/bin/{runnc,
# nabla-run,solo5-hvt}, usr/local/bin/..., opt/nabla-images/redis/{redis.nabla,
# redis.hvt,data/conf/redis.conf,image-config.json}); without one it SKIPs,
# saying so. One vCPU and QEMU 10 as lab.vm uses. 5-8 minutes under TCG.
set -uo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
inst=${HAP_LAB_NABLA_INSTALL:-}
[ -n "$inst" ] || skip "no Nabla install tree: set HAP_LAB_NABLA_INSTALL (README.md, 'Nabla', says what it holds)"
for f in opt/runnc/bin/nabla-run opt/runnc/bin/runnc opt/nabla-images/redis/redis.nabla; do
  [ -e "$inst/$f" ] || skip "HAP_LAB_NABLA_INSTALL=$inst has no $f"
done
out=$(mktemp -d /tmp/hap-lab-nabla.XXXXXX)
trap 'rm -rf -- "$out"' EXIT
rc=0
lab_boot 2400 "$out" --qemu backports --cpu max --cpus 1 --timeout 2000 --stall 240 --install "$inst" \
  --script "$here/guest/nabla_checks.sh" >/dev/null || rc=$?
echo "--- guest checks:"
grep -E '^(ok|FAIL)' "$out/hapctl.log" 2>/dev/null
check "the guest's checks all passed (exit $rc)" test "$rc" = 0
check "the tender's origin is stored with the run" bash -c "sqlite3 '$out/hap.db' \"select settings from runs where status='complete' limit 1\" | grep -q 'lab --install'"
finish
