#!/usr/bin/env bash
# A workload file whose root is an image (CI-sized, on this host, syscalls):
# the checks made before anything starts (an image for another architecture,
# one that is not there), then the redis root as a user would bring it, as an
# OCI image layout (umoci) and as a docker save archive (skopeo writes
# Docker's format), each measured under runc with the digest stored.
source "$(dirname "$0")/lib.sh"
fixtures="$(cd "$(dirname "$0")/../fixtures/images" && pwd)"

# image_file NAME REF: a redis workload file whose root is the image REF.
image_file() {
  cat >"$work/$1.toml" <<EOF2
name = "$1"
[root]
image = "$2"
[service]
command = ["/usr/bin/redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]
port = 6379
[ready]
probe = "redis-ping"
[load]
driver = "redis-benchmark"
EOF2
}

# --- checked before anything starts (no root needed) ---------------------------
command -v skopeo >/dev/null && command -v umoci >/dev/null || skip "skopeo or umoci is not installed (scripts/setup)"
image_file arm "oci:$fixtures/arm64.oci:empty"
expect_fail 2 "arm.toml:3: root.image: image oci:$fixtures/arm64.oci:empty is for arm64, and this host runs amd64" -- \
  "$HAPCTL" workload check "$work/arm.toml"
expect_fail 2 "arm.toml:3: root.image: image .* is for arm64" -- \
  "$HAPCTL" measure --runtime runc --workload "$work/arm.toml" --db "$work/arm.db"
[ ! -e "$work/arm.db" ] && pass || fail "a refused image still created a store"
image_file gone "docker-archive:gone.tar"
expect_fail 2 "gone.toml:3: root.image: $work/gone.tar does not exist" -- "$HAPCTL" workload check "$work/gone.toml"
image_file notag "oci:$fixtures/amd64.oci:latest"
expect_fail 2 "notag.toml:3: root.image: cannot read image oci:$fixtures/amd64.oci:latest: " -- \
  "$HAPCTL" workload check "$work/notag.toml"

need_root
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed (reads the store)"
command -v redis-benchmark >/dev/null || skip "redis-benchmark is not installed (scripts/setup)"
redis_root=/var/cache/hap/images/redis/rootfs.tar
[ -f "$redis_root" ] || skip "the redis root is not built yet ($redis_root: hapctl builds it on its first redis measurement)"

# The redis root as an image: an OCI layout with one layer, then the same as
# a docker save archive.
umoci init --layout "$work/redis.oci" && umoci new --image "$work/redis.oci:7" &&
  umoci unpack --image "$work/redis.oci:7" "$work/bundle" >/dev/null &&
  tar --numeric-owner -x -f "$redis_root" -C "$work/bundle/rootfs" &&
  umoci repack --image "$work/redis.oci:7" "$work/bundle" &&
  skopeo --insecure-policy copy --quiet "oci:$work/redis.oci:7" "docker-archive:$work/redis.tar:hap-test/redis:7" &&
  pass || fail "cannot make the test images"
rm -rf --one-file-system "$work/bundle"
image_file redis-oci "oci:redis.oci:7"
image_file redis-archive "docker-archive:redis.tar"
"$HAPCTL" workload check "$work/redis-oci.toml" | grep -q "root image oci:$work/redis.oci:7 (linux/amd64, sha256:" && pass ||
  fail "check of an image file: $("$HAPCTL" workload check "$work/redis-oci.toml" 2>&1)"
for form in oci archive; do
  if "$HAPCTL" measure --runtime runc --workload "$work/redis-$form.toml" --mode syscalls --duration 1 --no-untraced \
       --db "$work/image.db" >"$work/$form.out" 2>"$work/$form.err"; then pass
  else fail "measure of an image root ($form): $(tail -3 "$work/$form.err")"; fi
done
# Each run stored complete, with its image's config digest.
rows=$(sql "$work/image.db" "SELECT workload, status, image LIKE 'image:sha256:%', length(image) FROM runs ORDER BY id")
[ "$rows" = "redis-oci|complete|1|77
redis-archive|complete|1|77" ] && pass || fail "stored runs: $rows"
n=$(sql "$work/image.db" "SELECT count(DISTINCT s.normalized) FROM hits h JOIN symbols s ON s.id = h.symbol_id WHERE s.kind = 'syscall'")
[ "$n" -ge 10 ] && pass || fail "only $n syscalls stored from an image root"
# Unpacked once per config digest (skopeo may keep umoci's config as it is
# in the archive: then both forms are one image, unpacked once).
dirs=()
for ref in "oci:$work/redis.oci:7" "docker-archive:$work/redis.tar"; do
  d=$(skopeo --insecure-policy inspect --config --raw "$ref" | sha256sum | cut -c1-16)
  [ -f "/var/cache/hap/images/image-$d/key" ] && pass || fail "no unpacked root image-$d for $ref"
  dirs+=("/var/cache/hap/images/image-$d")
done
[ "$(sql "$work/image.db" "SELECT count(DISTINCT image) FROM runs")" = "$(printf '%s\n' "${dirs[@]}" | sort -u | wc -l)" ] &&
  pass || fail "runs.image does not name one digest per unpacked root"
rm -rf --one-file-system "${dirs[@]}"   # this test's own, the redis root once or twice
finish
