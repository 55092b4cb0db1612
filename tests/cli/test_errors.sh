#!/usr/bin/env bash
# Bad input gets one clear line and a non-zero exit, and loses nothing.
. "$(dirname "$0")/lib.sh"

expect_fail 2 "unknown command 'mesure'" -- "$HAPCTL" mesure
expect_fail 2 "unknown runtime 'lxc'" -- "$HAPCTL" measure --runtime lxc --workload redis --db "$work/a.db"
expect_fail 2 "unknown workload 'mysql'" -- "$HAPCTL" measure --runtime runc --workload mysql --db "$work/a.db"
expect_fail 2 "the option '--runtime' is required" -- "$HAPCTL" measure --workload redis
expect_fail 2 "unknown capture mode 'syscall'" -- "$HAPCTL" measure --runtime runc --workload redis --mode syscall
expect_fail 2 "unknown format 'xml'" -- "$HAPCTL" export --format xml --db "$work/a.db"
expect_fail 1 "no database at" -- "$HAPCTL" runs --db "$work/none.db"
[ ! -e "$work/none.db" ] && pass || fail "runs created a database it only had to read"

# A corrupt store is refused and left as it was.
head -c 8192 /dev/urandom >"$work/corrupt.db"
sum=$(sha256sum <"$work/corrupt.db")
expect_fail 1 "corrupt or not a SQLite file" -- "$HAPCTL" runs --db "$work/corrupt.db"
expect_fail 1 "corrupt or not a SQLite file" -- "$HAPCTL" export --db "$work/corrupt.db"
[ "$(sha256sum <"$work/corrupt.db")" = "$sum" ] && pass || fail "the corrupt database was modified"

# Every command has --help, exit 0.
for c in measure runs export doctor; do
  "$HAPCTL" "$c" --help | grep -q "usage: hapctl $c" && pass || fail "$c --help"
done
"$HAPCTL" --help | grep -q measure && pass || fail "hapctl --help"

if [ "$(id -u)" = 0 ]; then
  # Unwritable database location.
  expect_fail 1 "cannot open database|cannot be written" -- \
    "$HAPCTL" measure --runtime runc --workload redis --mode syscalls --db /proc/hap/x.db
  # Not root: refused before anything is touched.
  if command -v setpriv >/dev/null; then
    expect_fail 1 "needs root" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
      "$HAPCTL" measure --runtime runc --workload redis --mode syscalls --db "$work/nobody.db"
  fi
  # Runtime binary missing: a PATH without /usr/sbin hides runc.
  if [ ! -x /usr/bin/runc ] && [ ! -x /bin/runc ]; then
    expect_fail 1 "runc is not installed" -- env PATH=/usr/bin:/bin \
      "$HAPCTL" measure --runtime runc --workload redis --mode syscalls --db "$work/b.db"
  fi
  # function_graph on a kernel that refuses it: one line naming the reason,
  # and no run stored as complete.
  if ! grep -qw function_graph /sys/kernel/tracing/available_tracers 2>/dev/null; then
    expect_fail 1 "function_graph cannot run here: the function_graph tracer is not available" -- \
      "$HAPCTL" measure --runtime runc --workload redis --mode function_graph --db "$work/fg.db"
    # The same refusal from trace, and both say how to go on (a hint line).
    expect_fail 1 "function_graph cannot run here: the function_graph tracer is not available" -- \
      "$HAPCTL" trace --mode function_graph --db "$work/fg.db" -- /bin/true
    hint_of() { "$@" 2>&1 >/dev/null | grep '^hint: '; }
    hint=$(hint_of "$HAPCTL" measure --runtime runc --workload redis --mode function_graph --db "$work/fg.db")
    grep -q "use --mode syscalls" <<<"$hint" && pass || fail "measure --mode function_graph: no hint ($hint)"
    hint=$(hint_of "$HAPCTL" trace --mode function_graph --db "$work/fg.db" -- /bin/true)
    grep -q "use --mode syscalls" <<<"$hint" && pass || fail "trace --mode function_graph: no hint ($hint)"
    if [ -e "$work/fg.db" ]; then
      [ "$(sql "$work/fg.db" "select count(*) from runs where status='complete'")" = 0 ] && pass ||
        fail "a function_graph run was stored as complete"
    else
      pass
    fi
  else
    echo "note: this kernel has function_graph; the refusal check does not apply"
  fi
  # The vm runtime on a host where the KVM probe finds guests do not run:
  # refused before anything starts, naming the probe's finding; nothing stored,
  # no QEMU, namespace or sandbox directory left. (Where guests do run, the
  # lab tests cover the vm runtime.)
  verdict=$("$HAPCTL" doctor --format json 2>/dev/null | python3 -c '
import json, sys
for c in json.load(sys.stdin).get("checks", []):
    if c.get("item", "").startswith("vm "):
        print(c.get("status"))' 2>/dev/null)
  if [ "$verdict" = no ]; then  # (missing: QEMU or a guest kernel is absent, a different refusal)
    # QEMUs already running (a lab beside this test, which names its guest
    # hap-lab) are not this test's: only a new one would be.
    qemus_before=$(pgrep -f "qemu-system-x86_64 -name hap-" | sort)
    expect_fail 1 "the vm runtime cannot run here: KVM guests do not run on this host: .+" -- \
      "$HAPCTL" measure --runtime vm --workload redis --mode syscalls,kvm --db "$work/vm.db"
    expect_fail 1 "the vm runtime cannot run here" -- \
      "$HAPCTL" compare --runtimes runc,vm/microvm --workloads redis --mode syscalls --db "$work/vm.db"
    [ ! -e "$work/vm.db" ] && pass || fail "a refused vm measurement created a store"
    [ -z "$(comm -13 <(echo "$qemus_before") <(pgrep -f "qemu-system-x86_64 -name hap-" | sort))" ] && pass ||
      fail "a refused vm measurement left QEMU running"
    ls /run/hap/vm 2>/dev/null | grep -q . && fail "a refused vm measurement left /run/hap/vm/*" || pass
  else
    echo "note: the KVM probe says guests run here (or doctor could not say): the vm refusal check does not apply"
  fi
  # The documented matrix: one cell line per runtime, each ok or naming what it lacks.
  cells=$("$HAPCTL" doctor --format json 2>/dev/null | python3 -c '
import json, sys
cells = [c for c in json.load(sys.stdin).get("checks", []) if c.get("area") == "cell"]
print(len(cells), sum(1 for c in cells if c["status"] == "ok" or (c["status"] == "no" and c["detail"])))' 2>/dev/null)
  [ "$cells" = "5 5" ] && pass || fail "doctor's cell lines (want 5, each ok or saying what is missing): $cells"
  expect_fail 2 "unknown vm platform 'firecracker'" -- \
    "$HAPCTL" measure --runtime vm --platform firecracker --workload redis --db "$work/vm2.db"
  expect_fail 2 "'runc/' is not RUNTIME or RUNTIME/PLATFORM" -- \
    "$HAPCTL" compare --runtimes runc/ --workloads redis --db "$work/vm2.db"
else
  echo "note: root-only error checks not run (not root)"
fi
finish
