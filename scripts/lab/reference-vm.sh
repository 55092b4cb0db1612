#!/bin/bash
# The vm cells of results/lab-6.1-vm, run in the lab VM by
# scripts/reference-results (scripts/lab/run --script): the same cells as
# `hapctl compare --runtimes vm/q35 --workloads redis,nginx --reps 3`, one
# measurement at a time, each tried up to three times (a nested guest
# under TCG now and then never answers; the failed run stays in the store,
# marked failed with its reason), with the sandbox's console tail printed
# every minute so a stuck guest shows where it is. $HAP_LAB_VM_APPEND adds
# guest kernel parameters (stored with each run); a periodic guest timer
# (lapic=notscdeadline nohz=off highres=off) was tried against the stalls and
# made them no rarer (scripts/lab/README.md).
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
for w in redis nginx; do
  for rep in $(seq 1 "$reps"); do
    for try in 1 2 3; do
      echo "== vm/q35 $w repetition $rep, try $try"
      ok=0
      "$HAPCTL" measure --runtime vm --platform q35 --workload "$w" --mode function_graph,syscalls,kvm --reps 1 \
        --duration 5 --ready-timeout 180 --guest-shared-fs virtio-9p --buffer-kb 65536 \
        ${HAP_LAB_VM_APPEND:+--guest-append "$HAP_LAB_VM_APPEND"} && ok=1
      # What is measured so far reaches the host even if the lab is stopped.
      cp "$HAP_DB" /hap/out/hap.db.partial 2>/dev/null
      [ "$ok" = 1 ] && break
      [ "$try" = 3 ] && rc=1
    done
  done
done
kill "$m" 2>/dev/null
"$HAPCTL" runs
exit "$rc"
