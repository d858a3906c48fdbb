#!/usr/bin/env bash
# BeforeInstall: the container engine and the runtime directories exist.
set -euo pipefail
export DTQ_HOOK=before-install
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

prepare_host
