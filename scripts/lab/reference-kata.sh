#!/bin/bash
# The kata reference set (scripts/reference-results kata), run in the lab
# guest by scripts/lab/run --script with a Kata 1.x install tree given by
# --install (opt/kata/bin/containerd-shim-kata-v2, its configuration, guest
# kernel and initrd; README.md, 'Kata'): kata/qemu through containerd, then
# vm/q35 with virtio-9p (Kata 1.x's host shape, built by hap from Debian's
# QEMU), one compare each, with the arguments given after --. The store is
# copied to OUT/hap.db.partial after the Kata cell.
set -u
# hap's kata runner talks to containerd on its default socket.
KATA_LAB_SYSLOG=/hap/out/kata-syslog.log /hap/scripts/lab/kata1-containerd kata /run/containerd/containerd.sock \
  /hap/out/kata-containerd.log || exit 1
rc=0
"$HAPCTL" compare --runtimes kata/qemu --workloads redis "$@" || rc=1
cp "$HAP_DB" /hap/out/hap.db.partial.tmp && mv -f /hap/out/hap.db.partial.tmp /hap/out/hap.db.partial
ps -eLo pid,tid,ppid,comm,args >/hap/out/ps-after-kata.txt
kill "$(cat /run/kata.pid)" 2>/dev/null
# The twelve cgroup v1 hierarchies Kata 1.x needed stay bound for this boot;
# hap's VM does not use cgroups.
"$HAPCTL" compare --runtimes vm/q35 --workloads redis --guest-shared-fs virtio-9p "$@" || rc=1
"$HAPCTL" runs
exit "$rc"
