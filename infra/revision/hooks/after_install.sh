#!/usr/bin/env bash
# AfterInstall: fetch the release's image and refresh the secrets the containers read.
set -euo pipefail
export DTQ_HOOK=after-install
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

image="$(release_image)"
if [[ -z "${image}" ]]; then
  log "release.env has no IMAGE"
  exit 1
fi
pull_image "${image}"
write_secret_env
