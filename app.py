"""CDK entry point: `cdk synth|deploy -c env=<dev|staging|prod>`; all environments when no env."""

import os

import aws_cdk as cdk

from infra.assembly import (
    OVERRIDABLE,
    add_environment,
    add_nag_checks,
    deployable,
    load_cdk_context,
)

# cdk.json's context as defaults: `python app.py` alone sees the same feature flags as the CLI
# (context from the CLI still takes precedence).
app = cdk.App(context=load_cdk_context())
overrides = {key: app.node.try_get_context(key) for key in OVERRIDABLE}
overrides["account"] = overrides["account"] or os.environ.get("CDK_DEFAULT_ACCOUNT")
# the AMI of every selected environment must be pinned (infra/amis.json or -c ami_id=...)
for config in deployable(app.node.try_get_context("env"), overrides):
    add_environment(app, config)
add_nag_checks(app)
app.synth()
