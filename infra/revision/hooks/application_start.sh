#!/usr/bin/env bash
# ApplicationStart: (re)start the API and the worker from the release's image. start_role
# replaces a container that is still running (the first deployment finds the ones user-data
# started), so running this twice leaves the same state.
set -euo pipefail
export DTQ_HOOK=application-start
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

image="$(release_image)"
start_role api "${image}"
start_role worker "${image}"
