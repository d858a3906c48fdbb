"""Helpers to read synthesized templates and to run the linters installed beside pytest."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

TOOLS_BIN = Path(sys.executable).parent  # shellcheck and hadolint come with the venv
TemplateJson = dict[str, Any]


def resources_of(template: TemplateJson, resource_type: str) -> list[dict[str, Any]]:
    """Properties of every resource of `resource_type`."""
    resources = template["Resources"].values()
    return [r.get("Properties", {}) for r in resources if r["Type"] == resource_type]


def only(template: TemplateJson, resource_type: str) -> dict[str, Any]:
    """Properties of the one resource of `resource_type`."""
    (properties,) = resources_of(template, resource_type)
    return properties


def attributes(properties: dict[str, Any], key: str) -> dict[str, str]:
    """ELBv2 LoadBalancerAttributes / TargetGroupAttributes as a dict."""
    return {a["Key"]: a["Value"] for a in properties.get(key, [])}


def render_user_data(template: TemplateJson) -> str:
    """The launch template's user-data with every CloudFormation token replaced by TOKEN."""
    data = only(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]["UserData"]
    separator, parts = data["Fn::Base64"]["Fn::Join"]
    return separator.join(part if isinstance(part, str) else "TOKEN" for part in parts)


def heredocs(script: str) -> dict[str, str]:
    """Files a script writes with `cat >PATH <<'DTQ_EOF'`, by path."""
    files: dict[str, str] = {}
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("cat >") and line.endswith("<<'DTQ_EOF'"):
            path = line.removeprefix("cat >").split()[0]
            body = []
            for inner in lines:
                if inner == "DTQ_EOF":
                    break
                body.append(inner)
            files[path] = "\n".join(body)
    return files


def env_file_keys(text: str) -> list[str]:
    """Variable names of a KEY=value file."""
    return [line.split("=", 1)[0] for line in text.splitlines() if "=" in line]
