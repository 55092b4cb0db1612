#!/bin/bash
# The vm cells of results/lab-6.1-vm, run in a one-vCPU lab VM by
# scripts/reference-results (scripts/lab/run --cpus 1 --script): the same
# cells as `hapctl compare --runtimes vm/q35,vm/microvm --workloads
# redis,nginx --reps 3`, one measurement at a time so that each is tried
# again (up to three times) if its guest never answers; a failed run stays
# in the store, marked failed with its reason. q35 shares the root over
# virtio-fs (its default, as Kata's), microvm boots a virtio-blk root (as
# Firecracker). The sandbox's console tail is printed every minute so a stuck
# guest shows where it is. $HAP_LAB_VM_APPEND adds guest kernel parameters
# (stored with each run); $HAP_REF_PLATFORMS picks platforms (default: both).
set -u
reps=${HAP_REF_REPS:-3}
mon() {
  while sleep 60; do
    for f in /run/hap/vm/*/console.log; do [ -f "$f" ] && echo "  [console] $(tail -n 1 "$f" | cut -c1-160)"; done
  done
}
mon &
m=$!
rc=0
for platform in ${HAP_REF_PLATFORMS:-q35 microvm}; do
for w in redis nginx; do
  for rep in $(seq 1 "$reps"); do
    for try in 1 2 3; do
      echo "== vm/$platform $w repetition $rep, try $try"
      ok=0
      "$HAPCTL" measure --runtime vm --platform "$platform" --workload "$w" --mode function_graph,syscalls,kvm --reps 1 \
        --duration 5 --ready-timeout 180 --buffer-kb 65536 \
        ${HAP_LAB_VM_APPEND:+--guest-append "$HAP_LAB_VM_APPEND"} && ok=1
      # What is measured so far reaches the host even if the lab is stopped.
      cp "$HAP_DB" /hap/out/hap.db.partial 2>/dev/null
      [ "$ok" = 1 ] && break
      [ "$try" = 3 ] && rc=1
    done
  done
done
done
kill "$m" 2>/dev/null
"$HAPCTL" runs
exit "$rc"
