"""How cdk-nag names a resource in a finding, so acknowledgments can name exactly one."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct


def nag_resource(scope: Construct, arn: str) -> str:
    """An ARN as cdk-nag writes it in a finding: literals as they are, pseudo parameters as
    <AWS::Name>, references as <LogicalId> and attributes as <LogicalId.Attribute>."""
    resolved = cdk.Stack.of(scope).resolve(arn)
    parts = resolved["Fn::Join"][1] if isinstance(resolved, dict) else [resolved]

    def text(part: object) -> str:
        if isinstance(part, dict) and "Ref" in part:
            return f"<{part['Ref']}>"
        if isinstance(part, dict) and "Fn::GetAtt" in part:
            return "<{}.{}>".format(*part["Fn::GetAtt"])
        return str(part)

    return "".join(text(part) for part in parts)
