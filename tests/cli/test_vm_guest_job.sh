#!/usr/bin/env bash
# The vm guest's /job/run (runners/vm_guest.cpp), run for real: the script
# hapctl writes for a workload with a user, an environment and a working
# directory, executed by the static busybox the guest's initramfs carries,
# in a mount namespace laid out as scripts/vm/guest-init lays out the guest
# (the workload's root read-only, proc, dev, tmpfs on /run, /tmp and the
# scratch paths). No VM is needed to check what the guest's shell does; the
# first version was only ever checked as text and failed in its first guest
# (busybox's start-stop-daemon matched itself: "already running").
source "$(dirname "$0")/lib.sh"
GUEST_JOB=${HAP_GUEST_JOB:?set HAP_GUEST_JOB to the guest_job test tool}
need_root
busybox=/bin/busybox
[ -x "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 || skip "no static busybox at $busybox (apt-get install busybox-static)"
root=/var/cache/hap/images/redis/rootfs
[ -x "$root/bin/sh" ] || skip "the redis root is not built yet ($root: hapctl builds it on its first redis measurement)"
ids=$(awk -F: '$1 == "redis" { print $3 ":" $4 }' "$root/etc/passwd")
[ -n "$ids" ] || skip "the redis root has no redis user"

# run_job JOB: runs the job script with /newroot at $work/newroot, as the guest does.
run_job() {
  mkdir -p "$work/newroot"
  sed "s|/newroot|$work/newroot|g" "$1" >"$1.host"
  timeout 60 unshare -m --propagation private "$busybox" sh -c '
    r=$1; root=$2; job=$3
    mount --bind "$root" "$r" && mount -o remount,bind,ro "$r" || exit 90
    mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" || exit 91
    for d in /run /tmp /var/lib/redis; do mount -t tmpfs -o mode=0755 tmpfs "$r$d" || exit 92; done
    exec '"$busybox"' sh "$job"' sh "$work/newroot" "$root" "$1.host"
}

cmd=(/bin/sh -c 'echo "uid=$(id -u) gid=$(id -g) pwd=$(pwd) mode=$HAP_MODE home=$HOME"; touch /var/lib/redis/w && echo wrote')
"$GUEST_JOB" --ids "$ids" --env HAP_MODE=guest-test --workdir /var/lib/redis --scratch /var/lib/redis -- "${cmd[@]}" >"$work/job" ||
  fail "guest_job could not write the script"
out=$(run_job "$work/job" 2>&1); rc=$?
[ "$rc" = 0 ] && pass || fail "the job script exited $rc: $out"
[ "$(head -1 <<<"$out")" = "uid=${ids%:*} gid=${ids#*:} pwd=/var/lib/redis mode=guest-test home=/root" ] && pass ||
  fail "the workload ran as '$(head -1 <<<"$out")', want uid=${ids%:*} gid=${ids#*:} pwd=/var/lib/redis mode=guest-test"
grep -qx wrote <<<"$out" && pass || fail "the user could not write its scratch path: $out"

# Nothing to apply: the plain chroot, as root.
"$GUEST_JOB" -- "${cmd[@]}" >"$work/plain" || fail "guest_job could not write the plain script"
grep -q start-stop-daemon "$work/plain" && fail "a workload without user/env/workdir got the busybox path" || pass
out=$(run_job "$work/plain" 2>&1)
[ "$(head -1 <<<"$out")" = "uid=0 gid=0 pwd=/ mode= home=/root" ] && pass || fail "plain job ran as '$(head -1 <<<"$out")'"
finish
