#!/bin/bash
# scripts/bench-live inside the lab guest (scripts/bench-live --lab): hap
# against trace-cmd record on one live redis, on Debian's stock kernel.
# hapctl is the guest's ($HAPCTL); the output is the lab's hapctl.log.
exec python3 /hap/scripts/bench-live "$@"
