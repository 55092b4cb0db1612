# Shared by the lab tests (sourced): paths, the SKIP rule, and check/finish.
# A lab test skips (exit 77, with the reason) when the lab cannot run here.
here=$(cd -- "$(dirname -- "${BASH_SOURCE[1]}")" && pwd -P)
repo=$(cd -- "$here/../.." && pwd -P)
build="${HAP_BUILD_DIR:-$repo/build}"
lab="$repo/scripts/lab/run"
hapctl="$build/cli/hapctl"

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
command -v debootstrap >/dev/null || skip "debootstrap not installed"
[ -x "$hapctl" ] || skip "hapctl not built"

passed=0 failed=0
check() { # name command...
  local name=$1; shift
  if "$@"; then echo "ok: $name"; passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi
}
# The closing line CI reads, and the exit status.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}
