#!/usr/bin/env bash
# Termination drain, run every DTQ_DRAIN_CHECK_S by dtq-drain.timer (user-data installs it). When
# the Auto Scaling group terminates this instance (IMDSv2 autoscaling/target-lifecycle-state is
# Terminated: the ALB has deregistered it and the group's lifecycle hook holds it in
# Terminating:Wait), drain it with the ApplicationStop hook script of the installed revision (the
# boot copy beside this file before the first deployment), then complete the lifecycle action so
# the termination goes on. Idempotent: once drained, a later run only completes the action again.
set -euo pipefail
export DTQ_HOOK=termination-drain
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

state="$(imds_get meta-data/autoscaling/target-lifecycle-state 2>/dev/null)" || exit 0
[[ "${state}" == Terminated ]] || exit 0
if [[ ! -e "${DTQ_RUN_DIR}/drained" ]]; then
  stop_script="${DTQ_REVISION_DIR}/hooks/application_stop.sh"
  [[ -r "${stop_script}" ]] || stop_script="$(dirname "$0")/application_stop.sh"
  log "the Auto Scaling group terminates this instance: draining with ${stop_script}"
  bash "${stop_script}"
  install -d -m 0700 "${DTQ_RUN_DIR}"
  touch "${DTQ_RUN_DIR}/drained"
fi
complete_lifecycle_action
log "drained; the termination goes on"
