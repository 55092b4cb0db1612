# shellcheck shell=bash
# Sourced by scripts that take a few named packages from another Debian suite
# (bookworm-backports, trixie, bullseye) without upgrading anything else.
#
# apt_suite_enable SUITE
#   Adds SUITE of Debian's mirror to apt's sources (once) with a pin of
#   priority 100: apt never picks a package from it on its own (bookworm's
#   500 wins, and an older suite never upgrades), only when it is named as
#   PACKAGE/SUITE. Runs `apt-get update` when it added the suite. Returns
#   non-zero (with a message on stderr) when the mirror does not serve it.
# The mirror is $HAP_DEBIAN_MIRROR (default http://deb.debian.org/debian).
apt_suite_enable() {
  local suite=$1 name="hap-$1" mirror="${HAP_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
  local src="/etc/apt/sources.list.d/$name.sources" pin="/etc/apt/preferences.d/$name"
  if [ -f "$src" ] && [ -f "$pin" ] && apt-cache policy 2>/dev/null | grep -q " $suite/main"; then return 0; fi
  printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" "$suite" >"$src" || return 1
  printf '# Only packages named PACKAGE/%s come from %s (hap: scripts/lib/apt-suite.sh).\nPackage: *\nPin: release n=%s\nPin-Priority: 100\n' \
    "$suite" "$suite" "$suite" >"$pin" || return 1
  timeout 300 apt-get update -qq >/dev/null 2>&1 || { echo "apt-get update with $suite failed" >&2; return 1; }
  apt-cache policy 2>/dev/null | grep -q " $suite/main" || { echo "the mirror $mirror does not serve $suite" >&2; return 1; }
}
