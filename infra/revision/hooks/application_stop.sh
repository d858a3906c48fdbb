#!/usr/bin/env bash
# ApplicationStop: drain this instance. The ALB has already stopped routing to it (BlockTraffic),
# so the API only finishes in-flight requests; the worker stops reading and hands back the jobs
# it cannot finish within its grace. Runs from the previous revision; a no-op when nothing runs.
# The termination drain (drain_on_termination.sh) runs this script too; stop_lock makes the
# two take turns.
set -euo pipefail
export DTQ_HOOK=application-stop
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

stop_lock
stop_role worker
stop_role api
