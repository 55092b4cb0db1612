#!/usr/bin/env bash
# Lab test: a real Kata at function level on nested KVM, its bad input and a
# kill -9, in one lab boot (tests/lab/guest/kata_checks.sh). Kata is not
# packaged for Debian: give an install tree in HAP_LAB_KATA_INSTALL (root-
# shaped: opt/kata/bin/containerd-shim-kata-v2, etc/kata-containers/
# configuration-qemu.toml, the guest kernel and initrd it names; README.md,
# 'Kata'); without one it SKIPs, saying so. One vCPU and QEMU 10 as lab.vm
# uses. About 12 minutes under TCG.
set -uo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
inst=${HAP_LAB_KATA_INSTALL:-}
[ -n "$inst" ] || skip "no Kata install tree: set HAP_LAB_KATA_INSTALL (README.md, 'Kata', says what it holds)"
for f in opt/kata/bin/containerd-shim-kata-v2 etc/kata-containers/configuration-qemu.toml; do
  [ -e "$inst/$f" ] || skip "HAP_LAB_KATA_INSTALL=$inst has no $f"
done
out=$(mktemp -d /tmp/hap-lab-kata.XXXXXX)
trap 'rm -rf -- "$out"' EXIT
rc=0
lab_boot 2600 "$out" --qemu backports --cpu max --cpus 1 --timeout 2400 --stall 300 --install "$inst" \
  --script "$here/guest/kata_checks.sh" >/dev/null || rc=$?
echo "--- guest checks:"
grep -E '^(ok|FAIL)' "$out/hapctl.log" 2>/dev/null
check "the guest's checks all passed (exit $rc)" test "$rc" = 0
check "the shim's origin is stored with the run" bash -c "sqlite3 '$out/hap.db' \"select settings from runs where status='complete' limit 1\" | grep -q 'lab --install'"
finish
