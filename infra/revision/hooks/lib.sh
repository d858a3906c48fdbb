# shellcheck shell=bash
# lib.sh: shared functions of the DTQ CodeDeploy hooks and the instance user-data.
#
# THE SEAM. Every environment-specific action goes through one function defined here:
#   imds_get PATH                 read instance metadata (IMDSv2 token first, never IMDSv1)
#   read_secret ARN               print a Secrets Manager secret string
#   read_release_pointer          print the current release (image pinned by digest)
#   write_release_pointer IMAGE   move the current-release pointer to IMAGE
#   prepare_host                  make sure the container engine and directories are there
#   pull_image IMAGE              fetch IMAGE so ApplicationStart does not wait on the registry
#   write_secret_env              write REDIS_PASSWORD and API_KEYS to $DTQ_RUN_DIR/secrets.env
#   api_key                       print the plaintext key ValidateService uses for its probe job
#   start_role ROLE IMAGE         start the api|worker container of IMAGE (replaces a running one)
#   stop_role ROLE                drain and stop the api|worker container; no-op when absent
#   local_worker                  print what identifies THIS host's running worker (it changes
#                                 when the worker restarts); fail unless it runs and has a fresh
#                                 heartbeat in the queue
#   complete_lifecycle_action     let the Auto Scaling group go on terminating this instance
# If DTQ_HOOK_SEAM names a file, it is sourced LAST and may redefine any of them: the local
# rolling-update rehearsal runs these same hooks with processes instead of Docker and AWS.
#
# Configuration comes from $DTQ_CONFIG_DIR/dtq.env (written by the user-data); every variable
# has a default so the seam can run without it. All functions are idempotent.

DTQ_CONFIG_DIR="${DTQ_CONFIG_DIR:-/etc/dtq}"
if [[ -r "${DTQ_CONFIG_DIR}/dtq.env" ]]; then
  # shellcheck source=/dev/null
  source "${DTQ_CONFIG_DIR}/dtq.env"
fi
DTQ_RUN_DIR="${DTQ_RUN_DIR:-/run/dtq}"
DTQ_API_URL="${DTQ_API_URL:-http://127.0.0.1:8000}"
DTQ_CONTAINER_STOP_S="${DTQ_CONTAINER_STOP_S:-45}"
DTQ_READY_TIMEOUT_S="${DTQ_READY_TIMEOUT_S:-120}"
DTQ_JOB_TIMEOUT_S="${DTQ_JOB_TIMEOUT_S:-60}"
DTQ_WORKER_SETTLE_S="${DTQ_WORKER_SETTLE_S:-5}"
DTQ_POLL_S="${DTQ_POLL_S:-2}"          # between readiness and local worker checks
DTQ_JOB_POLL_S="${DTQ_JOB_POLL_S:-1}"  # between looks at the probe job
DTQ_REVISION_DIR="${DTQ_REVISION_DIR:-/opt/dtq/revision}"
DTQ_DRAIN_HOOK="${DTQ_DRAIN_HOOK:-dtq-drain}"
DTQ_REGION="${DTQ_REGION:-}"

log() {
  printf '%s dtq-%s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${DTQ_HOOK:-hook}" "$*" >&2
}

imds_get() {
  local token
  token="$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \
    http://169.254.169.254/latest/api/token)"
  curl -fsS -H "X-aws-ec2-metadata-token: ${token}" "http://169.254.169.254/latest/$1"
}

aws_region() {
  if [[ -z "${DTQ_REGION}" ]]; then
    DTQ_REGION="$(imds_get meta-data/placement/region)"
  fi
  printf '%s' "${DTQ_REGION}"
}

read_secret() {
  aws secretsmanager get-secret-value --region "$(aws_region)" --secret-id "$1" \
    --query SecretString --output text
}

ssm_value() {
  aws ssm get-parameter --region "$(aws_region)" --name "$1" \
    --query Parameter.Value --output text 2>/dev/null
}

read_release_pointer() {
  # Before the first release the pointer does not exist: boot what `cdk deploy` built.
  ssm_value "${DTQ_RELEASE_PARAMETER}" || ssm_value "${DTQ_BUILT_IMAGE_PARAMETER}"
}

write_release_pointer() {
  aws ssm put-parameter --region "$(aws_region)" --name "${DTQ_RELEASE_PARAMETER}" \
    --type String --overwrite --value "$1" >/dev/null
}

prepare_host() {
  install -d -m 0700 "${DTQ_RUN_DIR}"
  systemctl enable --now docker >/dev/null
}

pull_image() {
  docker pull --quiet "$1" >/dev/null
}

json_field() {
  python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"
}

write_secret_env() {
  # API_KEYS = the operators' entries plus one for the deployment probe key: role submit,
  # confined to its own tenant (format of runtime/api/auth.py: sha256:<hex>:<role>[:<tenant>]).
  local secret probe entries
  secret="$(read_secret "${DTQ_API_KEYS_SECRET_ARN}")"
  probe="$(json_field probe <<<"${secret}")"
  entries="$(json_field keys <<<"${secret}")"
  entries="${entries:+${entries},}sha256:$(printf '%s' "${probe}" | sha256sum | cut -d' ' -f1)"
  entries="${entries}:submit:deploy-probe"
  install -d -m 0700 "${DTQ_RUN_DIR}"
  (
    umask 077
    # runtime-env:begin (names checked against runtime.config.Settings by tests/infra)
    {
      echo "REDIS_PASSWORD=$(read_secret "${DTQ_REDIS_SECRET_ARN}")"
      echo "API_KEYS=${entries}"
    } >"${DTQ_RUN_DIR}/secrets.env.tmp"
    # runtime-env:end
    mv "${DTQ_RUN_DIR}/secrets.env.tmp" "${DTQ_RUN_DIR}/secrets.env"
  )
}

api_key() {
  read_secret "${DTQ_API_KEYS_SECRET_ARN}" | json_field probe
}

container_command() {
  # The API runs the image's default CMD (uvicorn with the keep-alive and graceful timeouts).
  if [[ "$1" == worker ]]; then
    printf '%s\n' python -m runtime.worker
  fi
}

start_role() {
  local role="$1" image="$2" instance group extra=(--no-healthcheck) command=()
  stop_role "${role}"
  instance="$(imds_get meta-data/instance-id)"
  group="DTQ_LOG_GROUP_${role^^}"
  # The image's HEALTHCHECK probes HTTP, which only the API serves.
  [[ "${role}" == api ]] && extra=(--publish 8000:8000)
  mapfile -t command < <(container_command "${role}")
  docker run --detach --name "dtq-${role}" --restart unless-stopped \
    --stop-signal SIGTERM --stop-timeout "${DTQ_CONTAINER_STOP_S}" \
    --env-file "${DTQ_CONFIG_DIR}/common.env" --env-file "${DTQ_CONFIG_DIR}/${role}.env" \
    --env-file "${DTQ_RUN_DIR}/secrets.env" \
    --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
    --log-driver awslogs --log-opt "awslogs-region=$(aws_region)" \
    --log-opt "awslogs-group=${!group}" --log-opt "awslogs-stream=${instance}/${role}" \
    --log-opt mode=non-blocking --log-opt max-buffer-size=4m \
    "${extra[@]}" "${image}" "${command[@]}" >/dev/null
  log "started ${role} from ${image}"
}

stop_role() {
  # SIGTERM first: the worker stops reading and hands unfinished jobs back; the API finishes
  # in-flight requests. SIGKILL only after DTQ_CONTAINER_STOP_S.
  if docker container inspect "dtq-$1" >/dev/null 2>&1; then
    docker stop --time "${DTQ_CONTAINER_STOP_S}" "dtq-$1" >/dev/null
    docker rm "dtq-$1" >/dev/null
    log "stopped $1"
  fi
}

stop_lock() {
  # One drain at a time on this host: a deployment's (or CodeDeploy's termination hook's)
  # ApplicationStop and the termination drain may start together; the second then finds
  # nothing left to stop. Held until the calling script exits.
  install -d -m 0700 "${DTQ_RUN_DIR}"
  exec 9>>"${DTQ_RUN_DIR}/stop.lock"
  flock 9
}

complete_lifecycle_action() {
  # The group's name is the instance's aws:autoscaling:groupName tag.
  local instance group
  instance="$(imds_get meta-data/instance-id)"
  group="$(aws ec2 describe-tags --region "$(aws_region)" \
    --filters "Name=resource-id,Values=${instance}" "Name=key,Values=aws:autoscaling:groupName" \
    --query 'Tags[0].Value' --output text)"
  aws autoscaling complete-lifecycle-action --region "$(aws_region)" \
    --auto-scaling-group-name "${group}" --lifecycle-hook-name "${DTQ_DRAIN_HOOK}" \
    --instance-id "${instance}" --lifecycle-action-result CONTINUE
}

release_image() {
  # The image of the revision being deployed: release.env beside hooks/ in the bundle.
  local file
  file="$(dirname "${BASH_SOURCE[0]}")/../release.env"
  sed -n 's/^IMAGE=//p' "${file}"
}

wait_ready() {
  local deadline=$((SECONDS + DTQ_READY_TIMEOUT_S))
  until curl -fsS --max-time 5 "${DTQ_API_URL}/health/ready" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "not ready after ${DTQ_READY_TIMEOUT_S}s"
      return 1
    fi
    sleep "${DTQ_POLL_S}"
  done
}

api_call() {
  local key headers=(-H 'Content-Type: application/json')
  key="$(api_key)"
  if [[ -n "${key}" ]]; then
    headers+=(-H "X-API-Key: ${key}")
  fi
  curl -fsS --max-time 10 "${headers[@]}" "$@"
}

job_round_trip() {
  local id status deadline=$((SECONDS + DTQ_JOB_TIMEOUT_S))
  id="$(api_call -X POST -d '{"task_type":"noop"}' "${DTQ_API_URL}/jobs" | json_field id)"
  [[ -n "${id}" ]] || { log "POST /jobs returned no id"; return 1; }
  while ((SECONDS < deadline)); do
    status="$(api_call "${DTQ_API_URL}/jobs/${id}" | json_field status)"
    case "${status}" in
      succeeded) log "probe job ${id} succeeded"; return 0 ;;
      dead | cancelled) log "probe job ${id} ended ${status}"; return 1 ;;
    esac
    sleep "${DTQ_JOB_POLL_S}"
  done
  log "probe job ${id} still ${status:-unknown} after ${DTQ_JOB_TIMEOUT_S}s"
  return 1
}

heartbeat_probe() {
  # Python run where the worker runs (argument: its PID, optional): prints the name of the worker
  # of this host (and PID) with a fresh heartbeat, the same records GET /workers lists.
  cat <<'PY'
import asyncio, socket, sys
from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
async def main() -> int:
    broker = RedisBroker(Settings())
    try:
        workers = await broker.workers()
    finally:
        await broker.close()
    pid = int(sys.argv[1]) if len(sys.argv) > 1 else None
    for w in workers:
        if w.host == socket.gethostname() and pid in (None, w.pid):
            print(w.name)
            return 0
    return 1
sys.exit(asyncio.run(main()))
PY
}

local_worker() {
  # The container runs (not restarting) and its worker heartbeats; a restart changes the output.
  local state running restarting started restarts name
  state="$(docker container inspect --format \
    '{{.State.Running}} {{.State.Restarting}} {{.State.StartedAt}} {{.RestartCount}}' \
    dtq-worker 2>/dev/null)" || return 1
  read -r running restarting started restarts <<<"${state}"
  [[ "${running}" == true && "${restarting}" == false ]] || return 1
  name="$(heartbeat_probe | docker exec -i dtq-worker python - 2>/dev/null)" || return 1
  printf '%s %s %s\n' "${started}" "${restarts}" "${name}"
}

wait_local_worker() {
  # Print local_worker once this host's worker runs; fail after DTQ_READY_TIMEOUT_S. The probe
  # job alone proves nothing about this host: any instance's worker may have run it.
  local found deadline=$((SECONDS + DTQ_READY_TIMEOUT_S))
  until found="$(local_worker)"; do
    if ((SECONDS >= deadline)); then
      log "no worker runs on this instance after ${DTQ_READY_TIMEOUT_S}s"
      return 1
    fi
    sleep "${DTQ_POLL_S}"
  done
  printf '%s\n' "${found}"
}

same_local_worker() {
  # $1 = what wait_local_worker printed at second $2: still the same worker, at least
  # DTQ_WORKER_SETTLE_S later (a worker that crashes at start and is restarted fails this).
  local now wait_s=$(($2 + DTQ_WORKER_SETTLE_S - SECONDS))
  ((wait_s <= 0)) || sleep "${wait_s}"
  if ! now="$(local_worker)"; then
    log "the worker of this instance stopped (${1})"
    return 1
  fi
  if [[ "${now}" != "$1" ]]; then
    log "the worker of this instance restarted (${1} -> ${now})"
    return 1
  fi
  log "worker ${now##* } runs on this instance"
}

if [[ -n "${DTQ_HOOK_SEAM:-}" ]]; then
  # shellcheck source=/dev/null
  source "${DTQ_HOOK_SEAM}"
fi
