# shellcheck shell=bash
# Sourced by the scripts that run pmccabe over a kernel tree
# (scripts/sources/build-table, scripts/complexity/build-table).
#
# pmccabe_batches OUTDIR TREE JOBS EXT DIR...
#   Runs pmccabe over TREE's *.EXT files below the DIRs (relative to TREE),
#   JOBS batches of 64 files at once. Each batch writes a file of its own in
#   OUTDIR: parallel pmccabe writing to one pipe interleave mid-line, which
#   loses names. pmccabe runs once a file: a file it cannot parse would lose
#   the rest of its batch otherwise. Its messages go to OUTDIR.err. A batch
#   never fails xargs (exit 255 would stop it). Read the rows with
#   `find OUTDIR -type f -exec cat {} +`: pmccabe's tab-separated
#   modified, traditional, statements, first line, lines, file(line): name.
pmccabe_batches() {
  local out=$1 tree=$2 jobs=$3 ext=$4
  shift 4
  mkdir -p "$out"
  : >>"$out.err"
  (cd "$tree" && find "$@" -name "*.$ext" -type f -print0 |
     xargs -0 -n 64 -P "$jobs" sh -c 'out=$(mktemp -p "$0"); for f; do pmccabe "$f" >>"$out" 2>>"$0.err"; done; exit 0' "$out")
}
