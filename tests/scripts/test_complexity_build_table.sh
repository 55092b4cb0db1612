#!/usr/bin/env bash
# scripts/complexity/build-table on a generated tree: 240 C files of 60
# functions each, every function of traditional McCabe complexity 2 but one
# of 4, measured with one job and with four. Parallel batches of pmccabe
# once wrote into one pipe and interleaved mid-line, which lost names; both
# runs must give all 14,400 names, the same table, and the highest
# complexity of a name defined twice. Exit 77 (skipped) without pmccabe.
# No root, no kernel: a unit-tier test.
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/checks.sh
. "$root/tests/lib/checks.sh"
command -v pmccabe >/dev/null || skip "pmccabe not installed (apt-get install pmccabe)"
mkdir -p "$work/tree/a" "$work/tree/b"
for f in $(seq 1 240); do
  d=a; [ $((f % 2)) = 0 ] && d=b
  for n in $(seq 1 60); do
    printf 'static int fn_%d_%d_with_a_long_name_to_fill_lines(int x)\n{\n\tif (x)\n\t\treturn 1;\n\treturn 0;\n}\n\n' "$f" "$n"
  done >"$work/tree/$d/file$f.c"
done
# A name defined twice: complexity 2 here, 4 there; the table keeps 4.
printf 'int twice(int x)\n{\n\treturn x ? 1 : 0;\n}\n' >"$work/tree/a/twice1.c"
printf 'int twice(int x)\n{\n\tif (x == 1)\n\t\treturn 1;\n\tif (x == 2)\n\t\treturn 2;\n\tif (x == 3)\n\t\treturn 3;\n\treturn 0;\n}\n' >"$work/tree/b/twice2.c"
for jobs in 1 4; do
  "$root/scripts/complexity/build-table" --tree "$work/tree" --out "$work/cc-$jobs.csv" --jobs "$jobs" 2>"$work/err-$jobs" && pass ||
    fail "build-table --jobs $jobs exited $?: $(cat "$work/err-$jobs")"
  n=$(grep -c '^fn_[0-9]*_[0-9]*_with_a_long_name_to_fill_lines,2$' "$work/cc-$jobs.csv")
  [ "$n" = 14400 ] && pass || fail "--jobs $jobs: $n of 14400 names with complexity 2"
  grep -qx 'twice,4' "$work/cc-$jobs.csv" && pass || fail "--jobs $jobs: twice is not 4: $(grep '^twice,' "$work/cc-$jobs.csv")"
done
diff <(tail -n +2 "$work/cc-1.csv") <(tail -n +2 "$work/cc-4.csv") >/dev/null && pass || fail "--jobs 1 and --jobs 4 give different tables"
sed -n 2p "$work/cc-1.csv" | grep -qx 'function,complexity' && pass || fail "header: $(sed -n 2p "$work/cc-1.csv")"
"$root/scripts/complexity/build-table" --tree "$work/nothing" --out "$work/x.csv" 2>/dev/null && fail "a missing tree was accepted" || pass
finish
