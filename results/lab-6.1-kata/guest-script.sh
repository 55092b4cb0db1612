#!/bin/bash
# Lab guest: Kata 1.12.1 redis at function level (3 reps), then vm/q35 with virtio-9p (Kata 1.x's host shape).
set -u
KATA_LAB_SYSLOG=/hap/out/kata-syslog.log /opt/kata-lab/start-containerd.sh kata /run/containerd/containerd.sock /hap/out/kata-containerd.log || exit 1
rc=0
"$HAPCTL" compare --runtimes kata/qemu --workloads redis "$@" || rc=1
cp "$HAP_DB" /hap/out/hap.db.partial
ps -eLo pid,tid,ppid,comm,args > /hap/out/ps-after-kata.txt
kill "$(cat /run/kata.pid)" 2>/dev/null
"$HAPCTL" compare --runtimes vm/q35 --workloads redis --guest-shared-fs virtio-9p "$@" || rc=1
"$HAPCTL" runs
exit $rc
