#!/usr/bin/env bash
# ValidateService: the API answers /health/ready and a real job makes the round trip through
# the queue and a worker; only then does this instance's release become the current one, so
# instances launched from now on start it too.
set -euo pipefail
export DTQ_HOOK=validate-service
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

wait_ready
job_round_trip
write_release_pointer "$(release_image)"
log "release $(release_image) validated"
