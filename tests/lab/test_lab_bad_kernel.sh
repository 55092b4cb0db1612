#!/usr/bin/env bash
# Lab test, on the host (nothing boots): malformed --kernel values each fail
# with one line and a hint, exit 1 (2 for a value that is not a kernel at
# all): a .deb that holds no kernel, a version no suite apt reaches has, a
# directory without vmlinuz.
set -uo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
command -v dpkg-deb >/dev/null || skip "dpkg-deb not installed"
work=$(mktemp -d /tmp/hap-lab-badk.XXXXXX)
trap 'rm -rf -- "$work"' EXIT

# expect CODE PATTERN -- lab args: exit CODE, the lab's own error is one line
# matching PATTERN (plus an optional hint).
expect() {
  local code=$1 pattern=$2 out rc errs; shift 3
  out=$(timeout 600 "$lab" --timeout 60 --out "$work/out" "$@" -- doctor 2>&1 >/dev/null); rc=$?
  errs=$(grep '^lab: ' <<<"$out" | grep -vE '^lab: (apt-get update|note: |downloading |extracting |linux-image-.* comes from )')
  check "$* -> exit $code (got $rc)" test "$rc" = "$code"
  check "$* -> says /$pattern/ ($errs)" bash -c 'grep -qE -- "$1" <<<"$2"' _ "$pattern" "$errs"
  check "$* -> one error line" test "$(grep -c . <<<"$errs")" = 1
}

# A .deb of something else: unpacks, holds no vmlinuz.
mkdir -p "$work/pkg/DEBIAN" "$work/pkg/usr/share/doc/hap-not-a-kernel"
printf 'Package: hap-not-a-kernel\nVersion: 1.0\nArchitecture: all\nMaintainer: hap <hap@localhost>\nDescription: not a kernel\n' \
  >"$work/pkg/DEBIAN/control"
echo hi >"$work/pkg/usr/share/doc/hap-not-a-kernel/README"
dpkg-deb --build -Zxz "$work/pkg" "$work/not-a-kernel.deb" >/dev/null
expect 1 "no vmlinuz-\* in " -- --kernel "$work/not-a-kernel.deb"
expect 1 "no package linux-image-9\.9\.9-99-amd64 in bookworm, bookworm-backports or bullseye" -- --kernel 9.9.9-99
mkdir -p "$work/emptydir"
expect 1 "no vmlinuz-\* in " -- --kernel "$work/emptydir"
expect 1 "neither a directory, a \.deb nor a version" -- --kernel not-a-kernel
finish
