# shellcheck shell=bash
# rehearsal/seam.sh: the local rolling-update rehearsal's side of THE SEAM in
# infra/revision/hooks/lib.sh. lib.sh sources this file last (DTQ_HOOK_SEAM), so the shipped hook
# scripts run unchanged while the environment-specific functions below replace AWS and Docker:
#
#   imds_get PATH          fake instance metadata (instance id from DTQ_REHEARSAL_INSTANCE)
#   read_secret ARN        ...:secret:NAME  ->  the value of $DTQ_REHEARSAL_SECRET_NAME
#   read_release_pointer   the file $DTQ_REHEARSAL_POINTER (else $DTQ_REHEARSAL_BUILT_IMAGE)
#   write_release_pointer  that file, replaced atomically
#   prepare_host           the run directory (no container engine to start)
#   pull_image IMAGE       checks the release label (dtq:<release>); nothing to download
#   start_role ROLE IMAGE  a process (uvicorn / python -m runtime.worker) of release <release>,
#                          in its own session, PID in $DTQ_RUN_DIR/ROLE.pid, log in ROLE.log
#   stop_role ROLE         SIGTERM, wait up to DTQ_CONTAINER_STOP_S, then SIGKILL (docker stop);
#                          before the SIGKILL a SIGABRT makes Python's faulthandler write every
#                          thread's stack to ROLE.log, so a process that ignored SIGTERM says why
#   local_worker           this instance's worker: its PID (from worker.pid) is alive and the
#                          worker of that PID on this machine heartbeats (lib.sh's heartbeat_probe,
#                          run with the instance's env files); prints "PID NAME"
#
# write_secret_env and api_key are the shipped ones (they only call read_secret). The release named
# in DTQ_REHEARSAL_BAD_RELEASE is a broken one, broken as DTQ_REHEARSAL_BAD_MODE says:
#   ready  its API points at a dead queue server and never becomes ready (wait_ready times out)
#   probe  its API is ready but refuses every POST (MAX_PAYLOAD_BYTES=8), so the probe job fails
#   worker its worker crashes at start (a TASK_MODULES entry that cannot be imported); the API is
#          fine, and the probe job is run by any other instance's worker, so only the local
#          worker check (local_worker) rejects it (see docs/rehearsal.md)

imds_get() {
  case "$1" in
    meta-data/instance-id) printf 'i-rehearsal-%s' "${DTQ_REHEARSAL_INSTANCE:?}" ;;
    meta-data/placement/region) printf 'local' ;;
    *) return 1 ;;
  esac
}

read_secret() {
  local name="DTQ_REHEARSAL_SECRET_${1##*:}"
  name="${name^^}"
  name="${name//-/_}"
  [[ -n "${!name+set}" ]] || { log "no secret ${1}"; return 1; }
  printf '%s' "${!name}"
}

read_release_pointer() {
  if [[ -s "${DTQ_REHEARSAL_POINTER:?}" ]]; then
    cat "${DTQ_REHEARSAL_POINTER}"
  else
    printf '%s\n' "${DTQ_REHEARSAL_BUILT_IMAGE:?}"
  fi
}

write_release_pointer() {
  printf '%s\n' "$1" >"${DTQ_REHEARSAL_POINTER}.tmp"
  mv "${DTQ_REHEARSAL_POINTER}.tmp" "${DTQ_REHEARSAL_POINTER}"
}

prepare_host() {
  install -d -m 0700 "${DTQ_RUN_DIR}"
}

pull_image() {
  [[ "$1" =~ ^dtq:[A-Za-z0-9._-]+$ ]] || { log "not a rehearsal release: $1"; return 1; }
}

load_env_file() {
  # docker --env-file semantics: NAME=VALUE per line, no quoting, # comments.
  local line
  while IFS= read -r line || [[ -n "${line}" ]]; do
    [[ -z "${line}" || "${line}" == \#* ]] && continue
    export "${line?}"
  done <"$1"
}

role_alive() {
  # $1 = pid of one of our processes. A zombie (exited, not yet reaped) counts as stopped, and
  # so does a reused pid (its command line does not run the DTQ runtime).
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "${state}" && "${state}" != Z ]] && grep -qa runtime "/proc/$1/cmdline" 2>/dev/null
}

role_command() {
  if [[ "$1" == worker ]]; then
    printf '%s\n' -m runtime.worker
  else
    # the Dockerfile's CMD, on a loopback port
    printf '%s\n' -m uvicorn runtime.api.main:app --host "${HOST}" --port "${PORT}" \
      --timeout-keep-alive 65 --timeout-graceful-shutdown 20
  fi
}

start_role() {
  local role="$1" image="$2" pid
  stop_role "${role}"
  (
    load_env_file "${DTQ_CONFIG_DIR}/common.env"
    load_env_file "${DTQ_CONFIG_DIR}/${role}.env"
    load_env_file "${DTQ_RUN_DIR}/secrets.env"
    export DTQ_RELEASE="${image##*:}" DTQ_ROLE="${role}" PYTHONFAULTHANDLER=1
    if [[ "${DTQ_RELEASE}" == "${DTQ_REHEARSAL_BAD_RELEASE:-}" ]]; then
      case "${role}:${DTQ_REHEARSAL_BAD_MODE:-ready}" in
        api:probe) export MAX_PAYLOAD_BYTES=8 ;;
        api:ready) export REDIS_URL=redis://127.0.0.1:9/0 ;;
        worker:worker) export TASK_MODULES=dtq_rehearsal_missing_module ;;
      esac
    fi
    mapfile -t command < <(role_command "${role}")
    cd "${DTQ_REHEARSAL_REPO:?}" || exit 1
    exec setsid "${DTQ_REHEARSAL_PYTHON:?}" "${command[@]}" \
      </dev/null >>"${DTQ_RUN_DIR}/${role}.log" 2>&1
  ) &
  pid=$!
  printf '%s\n' "${pid}" >"${DTQ_RUN_DIR}/${role}.pid"
  log "started ${role} from ${image} (pid ${pid})"
}

stop_role() {
  local file="${DTQ_RUN_DIR}/$1.pid" pid deadline
  [[ -r "${file}" ]] || return 0
  pid="$(<"${file}")"
  if role_alive "${pid}"; then
    kill -TERM "${pid}"
    deadline=$((SECONDS + DTQ_CONTAINER_STOP_S))
    while role_alive "${pid}"; do
      if ((SECONDS >= deadline)); then
        log "$1 still runs ${DTQ_CONTAINER_STOP_S}s after SIGTERM: stacks in $1.log, then SIGKILL"
        kill -ABRT "${pid}" 2>/dev/null || true
        sleep 1
        kill -KILL "${pid}" 2>/dev/null || true
      fi
      sleep 0.1
    done
    log "stopped $1 (pid ${pid})"
  fi
  rm -f "${file}"
}

local_worker() {
  local pid name
  pid="$(cat "${DTQ_RUN_DIR}/worker.pid" 2>/dev/null)" || return 1
  role_alive "${pid}" || return 1
  name="$(
    load_env_file "${DTQ_CONFIG_DIR}/common.env"
    load_env_file "${DTQ_CONFIG_DIR}/worker.env"
    load_env_file "${DTQ_RUN_DIR}/secrets.env"
    cd "${DTQ_REHEARSAL_REPO:?}" || exit 1
    heartbeat_probe | "${DTQ_REHEARSAL_PYTHON:?}" - "${pid}" 2>/dev/null
  )" || return 1
  printf '%s %s\n' "${pid}" "${name}"
}
