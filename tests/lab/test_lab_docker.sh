#!/usr/bin/env bash
# Lab test: the one-measurement lab test (test_lab_measure.sh) with redis
# under Docker (hap's private dockerd in the guest, runc; the image is baked
# into the guest disk's Docker data root). About 90 s under TCG once the
# guest disk is built (vfs copies the image at container start).
# HAP_LAB_DOCKER=0 skips it.
set -uo pipefail
if [ "${HAP_LAB_DOCKER:-1}" = 0 ]; then
  echo "SKIP: HAP_LAB_DOCKER=0"
  exit 77
fi
export HAP_LAB_TEST_RUNTIME=docker
exec bash "$(dirname -- "${BASH_SOURCE[0]}")/test_lab_measure.sh"
