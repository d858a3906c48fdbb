"""CDK entry point: `cdk synth|deploy -c env=<dev|staging|prod>`; all environments when no env."""

import os

import aws_cdk as cdk

from infra.assembly import (
    OVERRIDABLE,
    add_environment,
    add_nag_checks,
    select_environments,
    with_overrides,
)

app = cdk.App()
overrides = {key: app.node.try_get_context(key) for key in OVERRIDABLE}
overrides["account"] = overrides["account"] or os.environ.get("CDK_DEFAULT_ACCOUNT")
for config in select_environments(app.node.try_get_context("env")):
    add_environment(app, with_overrides(config, overrides))
add_nag_checks(app)
app.synth()
