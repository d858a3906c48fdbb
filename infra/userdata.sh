#!/usr/bin/env bash
# Boot of one DTQ instance (Amazon Linux 2023). The preamble fleet.py puts in front of this
# script has written /etc/dtq/{dtq,common,api,worker}.env and /opt/dtq/hooks/ (lib.sh,
# application_stop.sh, drain_on_termination.sh).
# Starts what the current-release pointer says, so a scale-out never starts an old version, and
# the timer that drains the instance when its Auto Scaling group terminates it.
set -euo pipefail
export DTQ_HOOK=user-data
# shellcheck source=SCRIPTDIR/revision/hooks/lib.sh
source /opt/dtq/hooks/lib.sh

install_packages() {
  dnf install -y --setopt=install_weak_deps=False \
    docker amazon-cloudwatch-agent amazon-ecr-credential-helper ruby wget
  install -d -m 0700 /root/.docker
  printf '{"credsStore": "ecr-login"}\n' >/root/.docker/config.json
}

install_codedeploy_agent() {
  local region installer
  region="$(aws_region)"
  installer="$(mktemp)"
  curl -fsSL -o "${installer}" \
    "https://aws-codedeploy-${region}.s3.${region}.amazonaws.com/latest/install"
  ruby "${installer}" auto
  rm -f "${installer}"
  systemctl enable --now codedeploy-agent
}

start_cloudwatch_agent() {
  local config=/opt/aws/amazon-cloudwatch-agent/etc/dtq.json
  cat >"${config}" <<JSON
{
  "agent": {"metrics_collection_interval": 60},
  "metrics": {
    "namespace": "DTQ/Host",
    "append_dimensions": {"AutoScalingGroupName": "\${aws:AutoScalingGroupName}"},
    "aggregation_dimensions": [["AutoScalingGroupName"]],
    "metrics_collected": {
      "mem": {"measurement": ["mem_used_percent"]},
      "disk": {"measurement": ["used_percent"], "resources": ["/"]}
    }
  },
  "logs": {"logs_collected": {"files": {"collect_list": [
    {"file_path": "/var/log/cloud-init-output.log",
     "log_group_name": "${DTQ_LOG_GROUP_SYSTEM}", "log_stream_name": "{instance_id}/cloud-init"},
    {"file_path": "/var/log/aws/codedeploy-agent/codedeploy-agent.log",
     "log_group_name": "${DTQ_LOG_GROUP_SYSTEM}", "log_stream_name": "{instance_id}/codedeploy"},
    {"file_path": "/opt/codedeploy-agent/deployment-root/deployment-logs/codedeploy-agent-deployments.log",
     "log_group_name": "${DTQ_LOG_GROUP_SYSTEM}", "log_stream_name": "{instance_id}/deployments"}
  ]}}}
}
JSON
  /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl \
    -a fetch-config -m ec2 -s -c "file:${config}"
}

start_drain_timer() {
  # Every DTQ_DRAIN_CHECK_S: is the group terminating this instance? (drain_on_termination.sh)
  cat >/etc/systemd/system/dtq-drain.service <<'UNIT'
[Unit]
Description=DTQ: drain this instance when its Auto Scaling group terminates it
[Service]
Type=oneshot
ExecStart=/opt/dtq/hooks/drain_on_termination.sh
# the script's own lines at notice; systemd's "Starting..." every few seconds (info) dropped
SyslogLevel=notice
LogLevelMax=notice
UNIT
  cat >/etc/systemd/system/dtq-drain.timer <<UNIT
[Unit]
Description=DTQ: look for this instance's termination every ${DTQ_DRAIN_CHECK_S}s
[Timer]
OnActiveSec=${DTQ_DRAIN_CHECK_S}
OnUnitActiveSec=${DTQ_DRAIN_CHECK_S}
AccuracySec=1s
[Install]
WantedBy=timers.target
UNIT
  systemctl daemon-reload
  systemctl enable --now dtq-drain.timer
}

install_packages
start_cloudwatch_agent
prepare_host
image="$(read_release_pointer)"
pull_image "${image}"
write_secret_env
start_role api "${image}"
start_role worker "${image}"
start_drain_timer
install_codedeploy_agent
log "instance ready with ${image}"
