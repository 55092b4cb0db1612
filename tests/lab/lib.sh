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

# lab_boot SECONDS OUT LAB_ARGS...: `scripts/lab/run --out OUT LAB_ARGS...`
# under `timeout SECONDS`. A guest that froze (exit 3: nothing on its console
# and no heartbeat for --stall seconds, the CPU sampled into freeze.txt) is
# said, with where its CPU was, and booted once more from a clean store: a
# TCG lab's emulated nested SVM can leave its kernel halted for good with
# an interrupt pending (scripts/lab/README.md), and one such freeze is the
# lab's, not the check's. A second freeze is the result.
# Both boots share SECONDS (the second gets what the first left, at least
# 60 s), so the test stays inside CTest's limit; the first freeze's
# report is kept as OUT/freeze.1.txt.
lab_boot() {
  local secs=$1 out=$2 rc=0 t0=$SECONDS; shift 2
  timeout "$secs" "$lab" --out "$out" "$@" || rc=$?
  [ "$rc" = 3 ] || return "$rc"
  echo "NOTE: the lab guest froze; booting it once more. Its CPU:" >&2
  grep -m3 '^RIP=' "$out/freeze.txt" >&2 2>/dev/null || true
  mv -f -- "$out/freeze.txt" "$out/freeze.1.txt" 2>/dev/null || true
  rm -f -- "$out/hap.db" "$out/hap.db-wal" "$out/hap.db-shm"
  local left=$(( secs - (SECONDS - t0) ))
  [ "$left" -ge 60 ] || left=60
  rc=0
  timeout "$left" "$lab" --out "$out" "$@" || rc=$?
  return "$rc"
}
