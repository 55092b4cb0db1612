#!/bin/bash
# The nabla reference set (scripts/reference-results nabla), run in the lab
# guest by scripts/lab/run --script with the Nabla install tree given to the
# lab by --install (runnc, the spt tender nabla-run and solo5-hvt under
# /opt/runnc/bin, the redis image under /opt/nabla-images/redis): Nabla
# three ways (the spt tender started by hap, runnc from an OCI bundle, runnc
# under Docker), the hvt tender on the guest's nested KVM, and the containers
# the published comparison put beside it (runc, Docker, gVisor/ptrace; and
# gVisor systrap, native and a q35 VM as the other reference sets), one
# compare per cell, with the arguments given after --. After each cell the
# store is copied to OUT/hap.db.partial, as reference-vm.sh does.
set -u
image=${HAP_NABLA_IMAGE:-/opt/nabla-images/redis}
rc=0
"$HAPCTL" doctor --no-start | grep -E "nabla|runnc" || true
for rt in nabla/spt nabla/runnc docker:runnc nabla/hvt runc docker runsc/ptrace runsc/systrap native vm/q35; do
  "$HAPCTL" compare --runtimes "$rt" --workloads redis --nabla-image "$image" "$@" || rc=1
  cp "$HAP_DB" /hap/out/hap.db.partial.tmp && mv -f /hap/out/hap.db.partial.tmp /hap/out/hap.db.partial
done
"$HAPCTL" runs
exit "$rc"
