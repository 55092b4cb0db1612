#!/usr/bin/env bash
# Lab test: the vm runtime under nested KVM (scripts/lab/run --script). One
# lab boot runs tests/lab/guest/vm_checks.sh: a q35 and a microvm guest
# measured end to end (function_graph + syscalls + kvm), the bad-input
# cases but a guest that never boots (lab.vm_never_boots), and kill -9 of
# hapctl. Back on the host, the store is read with
# sqlite3: each run has its roles' functions, named exit reasons and a
# throughput.
# A lab guest that froze (scripts/lab/run --stall) is booted once more
# (lab_boot). Exit 77 (SKIP) when the lab cannot run here. 4-6 minutes under TCG.
set -uo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 not installed"

out=$(mktemp -d /tmp/hap-lab-vm.XXXXXX)
trap 'rm -rf -- "$out"' EXIT
rc=0
# One vCPU in the lab: with two, the emulated SVM now and then delivers an
# interrupt to the nested guest while its IF is clear, and that guest spins
# forever in boot (scripts/lab/README.md: 4 of 11 boots with two, 0 of 12 with one).
# QEMU 10 (bookworm-backports, -cpu max) for the lab itself: under QEMU
# 7.2's nested SVM the lab kernel now and then halts for good with its timer
# interrupt pending (1 of 5 microvm runs in one boot, and one CI run), under
# 10.0 none in 14 (scripts/lab/README.md). HAP_LAB_VM_QEMU=system keeps 7.2.
if [ "${HAP_LAB_VM_QEMU:-backports}" = backports ]; then qemu_args=(--qemu backports --cpu max); else qemu_args=(--qemu "$HAP_LAB_VM_QEMU"); fi
lab_boot 2400 "$out" "${qemu_args[@]}" --cpus 1 --timeout 2000 --stall 240 --script "$here/guest/vm_checks.sh" >/dev/null || rc=$?
echo "--- guest checks:"
grep -E '^(ok|FAIL|  )' "$out/hapctl.log" 2>/dev/null
if [ "$rc" = 77 ]; then
  # The guest's other checks passed, but its nested guest never booted to
  # the workload: no vm run to check here. Said, not passed.
  grep '^SKIP: ' "$out/hapctl.log" | tail -1
  skip "$(grep '^SKIP: ' "$out/hapctl.log" | tail -1 | cut -c7-)"
fi
check "the guest's checks all passed (exit $rc)" test "$rc" = 0
check "no kernel panic in the lab VM" bash -c "! grep -q 'Kernel panic' '$out/console.log'"

q() { sqlite3 "$out/hap.db" "$1" 2>/dev/null; }
fn_role() { q "select count(distinct s.normalized) from hits h join symbols s on s.id=h.symbol_id where h.run_id=$1 and s.kind='function' and h.role='$2'"; }
# What every complete vm run must show: functions under ROLEs, no loss, a throughput.
vm_run_checks() {  # SHAPE RUN ROLE...
  local shape=$1 r=$2 role n; shift 2
  for role in "$@"; do
    n=$(fn_role "$r" "$role")
    check "$shape: HAP_fn:$role > 0 ($n)" test "${n:-0}" -gt 0
  done
  check "$shape: no events lost" test "$(q "select lost_events from runs where id=$r")" = 0
  check "$shape: throughput recorded" test "$(q "select throughput > 0 from runs where id=$r")" = 1
}
run=$(q "select id from runs where runtime='vm' and platform='q35' and status='complete' order by id limit 1")
check "a complete q35 run came back" test -n "$run"
if [ -n "$run" ]; then
  vm_run_checks q35 "$run" vcpu backend
  # QEMU's main loop may sleep through a few seconds of load (vhost-net
  # carries the packets, virtiofsd serves the root): its threads must be
  # found and stored as vmm, but a window without a vmm function is a true result.
  check "q35: vmm threads stored ($(q "select group_concat(comm) from run_tasks where run_id=$run and role='vmm'")); HAP_fn:vmm $(fn_role "$run" vmm)" \
    test "$(q "select count(*) from run_tasks where run_id=$run and role='vmm'")" -gt 0
  exits=$(q "select group_concat(distinct s.raw) from hits h join symbols s on s.id=h.symbol_id where h.run_id=$run and s.kind='exit_reason'")
  check "q35: exit reasons are named ($exits)" bash -c "[[ '$exits' == *svm:* ]]"
  vhost=$(q "select count(*) from hits h join symbols s on s.id=h.symbol_id where h.run_id=$run and h.role='backend' and s.normalized like 'vhost%'")
  check "q35: vhost functions under backend ($vhost)" test "${vhost:-0}" -gt 0
  settings=$(q "select settings from runs where id=$run")
  check "q35: the guest's settings are stored (virtio-fs root, vhost-net)" \
    bash -c "[[ '$settings' == *'\"vhost_net\":true'* && '$settings' == *guest_kernel* && '$settings' == *'\"root_sharing\":\"virtiofs\"'* ]]"
  check "q35: virtiofsd stored as backend" test "$(q "select count(*) from run_tasks where run_id=$run and role='backend' and comm like 'virtiofsd%'")" -gt 0
fi
mrun=$(q "select id from runs where runtime='vm' and platform='microvm' and status='complete' order by id limit 1")
check "a complete microvm run came back" test -n "$mrun"
if [ -n "$mrun" ]; then
  # Firecracker's shape: virtio-net is emulated in the VMM (no vhost), so the
  # VMM does the packet work and there is no backend task.
  vm_run_checks microvm "$mrun" vcpu vmm
  check "microvm: no backend task" test "$(q "select count(*) from run_tasks where run_id=$mrun and role='backend'")" = 0
fi
# (A store that never came back counts nothing: 0, not an empty word.)
for case in "guest kernel /nonexistent" "no modules for guest kernel" "never answered its readiness probe"; do
  n=$(q "select count(*) from runs where runtime='vm' and status='failed' and reason like '%$case%'")
  check "stored failed: $case" test "${n:-0}" -ge 1
done
n=$(q "select count(*) from runs where runtime='vm' and status='aborted'")
check "the killed run is stored aborted" test "${n:-0}" -ge 1
if [ "$failed" -gt 0 ]; then
  echo "--- hapctl.log (last 40 lines):"; tail -n 40 "$out/hapctl.log" 2>/dev/null
  echo "--- console.log (last 20 lines):"; tail -n 20 "$out/console.log" 2>/dev/null
fi
finish
