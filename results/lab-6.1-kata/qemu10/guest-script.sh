#!/bin/bash
# Guest script: Kata 1.12.1's QEMU command line against backports' QEMU 10.0
# (binary at /opt/qemu10, its data over /usr/share/qemu and seabios, by a second --install tree), then
# `hapctl measure --runtime kata ARGS...` with Kata pointed at that QEMU.
set -u
Q=/opt/qemu10/usr/bin/qemu-system-x86_64
"$Q" --version | head -1 | tee /hap/out/qemu10-version.txt
for f in /etc/kata-containers/configuration.toml /etc/kata-containers/configuration-qemu.toml \
         /opt/kata/share/defaults/kata-containers/configuration.toml /opt/kata/share/defaults/kata-containers/configuration-qemu.toml; do
  sed -i "s#^path = \"/usr/bin/qemu-system-x86_64\"#path = \"$Q\"#" "$f"
done
grep -n '^path = ".*qemu' /etc/kata-containers/configuration-qemu.toml | tee /hap/out/kata-qemu-path.txt
KATA_LAB_SYSLOG=/hap/out/kata-syslog.log /opt/kata-lab/start-containerd.sh kata /run/containerd/containerd.sock /hap/out/kata-containerd.log || exit 1
# Keep QEMU's argv as the kernel saw it, while the sandbox runs.
( for i in $(seq 600); do p=$(pgrep -f "^$Q" | head -1); if [ -n "$p" ]; then tr '\0' '\n' </proc/$p/cmdline >/hap/out/qemu10.argv.txt; break; fi; sleep 1; done ) &
[ $# -gt 0 ] || set -- --workload redis
"$HAPCTL" measure --runtime kata "$@"
rc=$?
kill "$(cat /run/kata.pid)" 2>/dev/null
exit $rc
