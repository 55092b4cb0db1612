# Shared by the hapd tests: a private hapd on its own socket, started and
# stopped by pid. Builds on tests/cli/lib.sh (pass/fail/skip/finish, sql).
. "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"
HAPD=${HAPD:?set HAPD to the hapd binary}
RAW="/usr/bin/python3 $(dirname "${BASH_SOURCE[0]}")/raw_client.py"
tracing=/sys/kernel/tracing

need_measure() {
  need_root
  command -v runc >/dev/null || skip "runc is not installed"
  command -v redis-benchmark >/dev/null || skip "redis-tools is not installed"
  [ -x /usr/bin/python3 ] || skip "python3 is not installed"
  [ -d "$tracing/instances" ] || skip "tracefs is not mounted"
  if [ -e /run/hap/hapd.lock ] && ! flock -n /run/hap/hapd.lock true; then skip "another hapd runs on this host"; fi
}

export HAP_SOCKET=$work/hapd.sock
hapd_pid=
start_hapd() {  # logs to $work/hapd.log (appended)
  local before; before=$(grep -c "listening on" "$work/hapd.log" 2>/dev/null)
  "$HAPD" --socket "$HAP_SOCKET" >>"$work/hapd.log" 2>&1 &
  hapd_pid=$!
  # Not the socket file: a killed hapd leaves its own behind.
  for _ in $(seq 300); do
    [ "$(grep -c "listening on" "$work/hapd.log")" -gt "${before:-0}" ] && return 0
    kill -0 "$hapd_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "hapd did not start: $(tail -3 "$work/hapd.log")"; return 1
}
stop_hapd() {
  [ -n "$hapd_pid" ] || return 0
  kill -TERM "$hapd_pid" 2>/dev/null
  wait "$hapd_pid" 2>/dev/null
  hapd_pid=
}
trap 'stop_hapd; rm -rf "$work"' EXIT

# measure_bg DB LOG [ARGS...]: hapctl measure in the background ($bg_pid).
measure_bg() {
  local db=$1 log=$2; shift 2
  "$HAPCTL" measure --runtime runc --workload redis --mode syscalls --db "$db" "$@" >"$log" 2>&1 &
  bg_pid=$!
}
wait_for() {  # wait_for FILE PATTERN [tenths]
  for _ in $(seq "${3:-600}"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
leftovers_of() {  # what a session of process $1 may leave
  local p=$1
  ls "$tracing/instances" | grep -x "hap_$p"
  ip netns list | grep -E "^hap${p}[cw][0-9]+"
  ls /run/hap/oci 2>/dev/null | grep "^hap-$p-"
  pgrep -f "/run/hap/oci/hap-$p-" || true
  [ -e "/run/hap/knobs-$p" ] && echo "/run/hap/knobs-$p"
}
