#!/usr/bin/env bash
# Lab test, opt-in: the one-measurement lab test (test_lab_measure.sh) with
# redis under Docker (hap's private dockerd in the guest, runc; the image is
# baked into the guest disk's Docker data root). Skipped unless
# HAP_LAB_DOCKER=1, to keep CI's lab tier as it was: about 90 s under TCG
# once the guest disk is built (vfs copies the image at container start).
set -uo pipefail
if [ "${HAP_LAB_DOCKER:-0}" != 1 ]; then
  echo "SKIP: set HAP_LAB_DOCKER=1 to run Docker in the lab (about 90 s under TCG)"
  exit 77
fi
export HAP_LAB_TEST_RUNTIME=docker
exec bash "$(dirname -- "${BASH_SOURCE[0]}")/test_lab_measure.sh"
