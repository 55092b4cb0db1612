#!/usr/bin/env bash
# scripts/sources/build-exact-table on a kernel in miniature, compiled here
# with -g (no kernel file is kept in the repository, and no debug package is
# fetched): a "vmlinux" of two files that each define a static init_once
# (the ordinals @vmlinux:1 and :2 in address order), a syscall entry and a
# compiler clone (normalised to sys_read and helper), and a module
# "vhost-net.ko" linked with `ld -r` from two objects that each define a
# static handle_kick (@vhost_net:1, :2), with an __init function that is
# left out. The sources sit under linux-6.1.192/, as Debian's build has
# them, so the paths DWARF gives are made relative to the tree's top; one is
# compiled as drivers/net/../vhost/vhost.c, as kvm.ko compiles virt/kvm/
# (arch/x86/kvm/../../../virt/kvm/kvm_main.c).
# Exit 77 (skipped) without gcc and binutils. No root, no kernel: unit tier.
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/checks.sh
. "$root/tests/lib/checks.sh"
for t in gcc ld nm addr2line readelf; do
  command -v $t >/dev/null || skip "$t not installed (apt-get install build-essential)"
done
src=$work/src/linux-6.1.192
mkdir -p "$src/kernel" "$src/fs" "$src/drivers/vhost" "$src/drivers/net" "$work/debug/boot" "$work/debug/modules"
cat >"$src/kernel/fork.c" <<'EOF'
static int __attribute__((noinline, used)) init_once(int x)
{
	return x + 1;
}

int __attribute__((noinline)) copy_process(int x)
{
	return init_once(x) * 2;
}
EOF
cat >"$src/fs/read_write.c" <<'EOF'
static int __attribute__((noinline, used)) init_once(int x)
{
	return x - 1;
}

long __attribute__((noinline, used)) __x64_sys_read(long fd)
{
	return init_once((int)fd);
}

static int __attribute__((noinline, used)) helper_clone(int x) __asm__("helper.isra.0");
static int helper_clone(int x)
{
	return x * 3;
}
EOF
cat >"$src/drivers/vhost/net.c" <<'EOF'
static int __attribute__((noinline, used)) handle_kick(int x)
{
	return x + 2;
}

int __attribute__((section(".init.text"), used)) vhost_net_init(void)
{
	return handle_kick(0);
}
EOF
cat >"$src/drivers/vhost/vhost.c" <<'EOF'
static int __attribute__((noinline, used)) handle_kick(int x)
{
	return x + 3;
}
EOF
(cd "$work" &&
  gcc -g -O1 -fno-inline -ffreestanding -nostdlib -static -Wl,-e,copy_process -o debug/boot/vmlinux-6.1.0-57-amd64 \
    "$src/kernel/fork.c" "$src/fs/read_write.c" &&
  gcc -g -O1 -fno-inline -c -o net.o "$src/drivers/vhost/net.c" &&
  gcc -g -O1 -fno-inline -c -o vhost.o "$src/drivers/net/../vhost/vhost.c" &&
  ld -r -o debug/modules/vhost-net.ko net.o vhost.o) 2>"$work/cc.err" || skip "cannot build the miniature kernel: $(cat "$work/cc.err")"

"$root/scripts/sources/build-exact-table" --debug "$work/debug" --out "$work/exact.csv" --label "test build" --jobs 1 2>"$work/err" && pass ||
  fail "build-exact-table exited $?: $(cat "$work/err")"
head -1 "$work/exact.csv" | grep -q "^# function -> source file, exact, of test build: vmlinux (build id .*) and modules vhost_net; " && pass ||
  fail "first line: $(head -1 "$work/exact.csv")"
sed -n 2p "$work/exact.csv" | grep -qx "function,file,line,how,symbol" && pass || fail "header: $(sed -n 2p "$work/exact.csv")"
# The rows, with the lines of each function's first address (its opening
# line), sorted by function, file, symbol.
cat >"$work/expected.csv" <<'EOF'
copy_process,kernel/fork.c,7,exact,copy_process@vmlinux:1
handle_kick,drivers/vhost/net.c,2,exact,handle_kick@vhost_net:1
handle_kick,drivers/vhost/vhost.c,2,exact,handle_kick@vhost_net:2
helper,fs/read_write.c,13,exact,helper.isra.0@vmlinux:1
init_once,fs/read_write.c,2,exact,init_once@vmlinux:2
init_once,kernel/fork.c,2,exact,init_once@vmlinux:1
sys_read,fs/read_write.c,7,exact,__x64_sys_read@vmlinux:1
EOF
# gcc may open a function at its declaration's line or at the brace below:
# compare the lines loosely (within one), everything else exactly.
tail -n +3 "$work/exact.csv" >"$work/rows.csv"
cut -d, -f1,2,4,5 "$work/rows.csv" >"$work/got.keys"
cut -d, -f1,2,4,5 "$work/expected.csv" >"$work/want.keys"
diff "$work/got.keys" "$work/want.keys" >"$work/diff" && pass || fail "rows differ: $(cat "$work/diff")"
paste -d, "$work/rows.csv" "$work/expected.csv" 2>/dev/null |
  awk -F, '{ d = $3 - $8; if (d < -1 || d > 1) { print "line of " $5 ": " $3 ", expected about " $8; bad = 1 } } END { exit bad }' && pass ||
  fail "lines"
grep -q "vhost_net_init" "$work/exact.csv" && fail "the module's __init function was kept (kallsyms drops it once loaded)" || pass
"$root/scripts/sources/build-exact-table" --debug "$work/nothing" --out "$work/x.csv" 2>/dev/null && fail "a missing directory was accepted" || pass
mkdir "$work/empty"
"$root/scripts/sources/build-exact-table" --debug "$work/empty" --out "$work/x.csv" 2>/dev/null && fail "a directory without vmlinux was accepted" || pass
finish
