#!/usr/bin/env bash
# ValidateService: the API answers /health/ready, THIS host's worker runs (and keeps running: a
# worker that crash-loops fails), and a real job makes the round trip through the queue (run by
# any instance's worker); only then does this instance's release become the current one, so
# instances launched from now on start it too.
set -euo pipefail
export DTQ_HOOK=validate-service
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

wait_ready
worker="$(wait_local_worker)"
found_at=${SECONDS}
job_round_trip
same_local_worker "${worker}" "${found_at}"
write_release_pointer "$(release_image)"
log "release $(release_image) validated"
