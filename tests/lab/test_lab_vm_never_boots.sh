#!/usr/bin/env bash
# Lab test: a vm guest that never boots (its kernel finds no init and
# panics; QEMU exits) is one error line, exit 1, the run stored failed with
# the console's last line, nothing left behind (tests/lab/guest/vm_checks.sh
# never-boots). In a boot of its own: twice in one CI run the lab kernel
# froze for good during this case (QEMU's emulated nested SVM under TCG,
# scripts/lab/README.md), which cost lab.vm every other check. A lab that
# froze on both boots is said and the test SKIPs (exit 77): the freeze is
# the lab's, and this case was not checked. ~2-3 min under TCG.
set -uo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 not installed"

out=$(mktemp -d /tmp/hap-lab-vm-never-boots.XXXXXX)
trap 'rm -rf -- "$out"' EXIT
rc=0
# The same lab as lab.vm (one vCPU, QEMU 10, -cpu max: see test_lab_vm.sh).
if [ "${HAP_LAB_VM_QEMU:-backports}" = backports ]; then qemu_args=(--qemu backports --cpu max); else qemu_args=(--qemu "$HAP_LAB_VM_QEMU"); fi
lab_boot 1500 "$out" "${qemu_args[@]}" --cpus 1 --timeout 1200 --stall 240 --script "$here/guest/vm_checks.sh" -- never-boots >/dev/null || rc=$?
echo "--- guest checks:"
grep -E '^(ok|FAIL|  )' "$out/hapctl.log" 2>/dev/null
[ "$rc" = 3 ] && skip "the lab kernel froze on both boots (QEMU's nested SVM under TCG, scripts/lab/README.md): a guest that never boots was not checked"
[ "$rc" = 77 ] && skip "$(grep '^SKIP: ' "$out/hapctl.log" | tail -1 | cut -c7-)"
check "the guest's checks all passed (exit $rc)" test "$rc" = 0
q() { sqlite3 "$out/hap.db" "$1" 2>/dev/null; }
n=$(q "select count(*) from runs where runtime='vm' and status='failed' and reason like '%the guest stopped%'")
check "stored failed: the guest stopped" test "${n:-0}" -ge 1
finish
