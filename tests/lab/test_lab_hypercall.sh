#!/usr/bin/env bash
# Lab test: hypercall capture for real. In the lab VM (nested SVM under TCG),
# `hapctl trace --mode kvm` runs the KVM micro guest (tests/lab/kvm_micro_guest.c:
# out 0x3f8, vmmcall, hlt) and must store its hypercall and VM exit reasons.
# Exit 77 (SKIP) when the lab cannot run here.
set -uo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
[ -x "$build/tests/kvm_micro_guest" ] || skip "kvm_micro_guest not built"
command -v sqlite3 >/dev/null || skip "sqlite3 not installed"

out=$(mktemp -d /tmp/hap-lab-hc.XXXXXX)
trap 'rm -rf -- "$out"' EXIT
rc=0
lab_boot 1200 "$out" --timeout 600 -- trace --mode kvm -- /hap/kvm_micro_guest >/dev/null || rc=$?
check "lab trace exits 0" test "$rc" = 0
check "the guest program ran and halted" grep -q "guest halted" "$out/hapctl.log"
q() { sqlite3 "$out/hap.db" "$1" 2>/dev/null; }
check "run complete" test "$(q "select status from runs")" = complete
check "a hypercall was stored" test "$(q "select count(*) from hits h join symbols s on s.id=h.symbol_id where s.kind='hypercall'")" -ge 1
check "hypercall 1 (vapic_poll_irq) by name" test "$(q "select count(*) from symbols where kind='hypercall' and raw='vapic_poll_irq'")" = 1
for reason in svm:io svm:vmmcall svm:hlt; do
  check "exit reason $reason" test "$(q "select count(*) from symbols where kind='exit_reason' and raw='$reason'")" = 1
done
check "port 0x3f8 written" test "$(q "select count(*) from symbols where kind='pio' and raw='0x3f8:out'")" = 1
echo "--- stored (kind, name, hits):"
q "select s.kind, s.raw, h.count from hits h join symbols s on s.id=h.symbol_id where s.kind != 'syscall' order by 1,2"
finish
