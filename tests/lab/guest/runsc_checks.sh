#!/bin/bash
# Runs inside the lab VM (scripts/lab/run --script): one boot serves the
# gVisor checks that need function_graph, which the lab's stock kernel has.
#   1. doctor names the runsc of bookworm-backports (2024) and each platform
#      as runs / cannot run here, with the reason;
#   2. redis under runsc/systrap, function_graph + syscalls, end to end, with
#      its untraced baseline;
#   3. kernel.yama.ptrace_scope=3 (last: it cannot be lowered again without a
#      reboot): systrap is refused in one line that names the cause, the run
#      is stored failed with it, and no runsc process or sandbox remains.
# $HAPCTL is hapctl, $HAP_DB the guest's store (brought back as OUT/hap.db).
# Prints "N passed, N failed".
set -u
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }

nothing_left() {  # no runsc process, no OCI sandbox directory, no hap namespace
  local what=$1
  if pgrep -f 'runsc' >/dev/null; then bad "$what: runsc left running: $(pgrep -af runsc | head -3 | tr '\n' ' ')"; return; fi
  if ls /run/hap/oci 2>/dev/null | grep -q .; then bad "$what: /run/hap/oci/$(ls /run/hap/oci | head -1) left"; return; fi
  if ip netns list | grep -q '^hap'; then bad "$what: namespaces left: $(ip netns list | tr '\n' ' ')"; return; fi
  ok "$what: nothing left behind"
}

# --- 1. doctor
doctor=$("$HAPCTL" doctor 2>&1)
echo "$doctor" | grep -E 'runsc' | sed 's/^/  /'
grep -qE 'runsc .*(20240729|2024)' <<<"$doctor" && ok "doctor names runsc 2024" || bad "doctor does not name runsc 2024"
for p in systrap ptrace kvm; do
  line=$(grep -E "runsc --platform=$p " <<<"$doctor")
  [ -n "$line" ] && ok "doctor has a line for $p" || bad "doctor has no line for $p"
done
grep -E 'runsc --platform=systrap ' <<<"$doctor" | grep -q ' ok ' && ok "systrap runs in the lab" || bad "systrap does not run in the lab"

# --- 2. systrap under function_graph, end to end
"$HAPCTL" measure --runtime runsc --platform systrap --workload redis --mode function_graph,syscalls --reps 1 \
  --duration "${HAP_LAB_RUNSC_DURATION:-3}" --ready-timeout 120
rc=$?
[ "$rc" = 0 ] && ok "runsc/systrap measured (exit 0)" || bad "runsc/systrap measure exit $rc"
nothing_left "after the systrap run"

# --- 3. ptrace_scope=3
if [ ! -e /proc/sys/kernel/yama/ptrace_scope ]; then
  bad "this guest kernel has no Yama: the ptrace_scope check cannot run"
else
  sysctl -qw kernel.yama.ptrace_scope=3
  out=$("$HAPCTL" measure --runtime runsc --platform systrap --workload redis --mode syscalls --duration 2 2>&1 >/dev/null)
  rc=$?
  echo "  ptrace_scope=3: $(grep -v '^hapctl: ' <<<"$out" | tr '\n' ' ')"
  [ "$rc" = 1 ] && ok "ptrace_scope=3: exit 1" || bad "ptrace_scope=3: exit $rc, want 1"
  lines=$(grep -v '^hapctl: ' <<<"$out" | grep -vc '^hint: ')
  [ "$lines" = 1 ] && ok "ptrace_scope=3: one error line" || bad "ptrace_scope=3: $lines error lines"
  grep -v '^hapctl: ' <<<"$out" | grep -q 'ptrace_scope is 3' && ok "ptrace_scope=3: the cause is named" ||
    bad "ptrace_scope=3: the cause is not named"
  last=$("$HAPCTL" export --all --format csv | tail -1)
  grep -q ",failed," <<<"$last" && grep -q "ptrace_scope is 3" <<<"$last" && ok "ptrace_scope=3: run stored failed with the cause" ||
    bad "ptrace_scope=3: newest run is not failed with the cause: $last"
  nothing_left "after the ptrace_scope=3 refusal"
  doctor3=$("$HAPCTL" doctor 2>&1)
  grep -E 'runsc --platform=systrap ' <<<"$doctor3" | grep -q 'ptrace_scope is 3' && ok "doctor names ptrace_scope=3 for systrap" ||
    bad "doctor does not name ptrace_scope=3: $(grep -E 'runsc --platform=systrap' <<<"$doctor3")"
fi

echo "--- stored runs:"
"$HAPCTL" runs
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
