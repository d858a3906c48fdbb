"""The CodeDeploy revision bundle and the success rule, shared by `python -m infra.release` and
the rollout `cdk deploy` starts.

This module is also the code of the rollout's Lambda function (infra/constructs/rollout.py), so
it imports nothing but the standard library and boto3.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from typing import Any

_ZIP_EPOCH = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same input gives the same bundle


def build_bundle(files: Mapping[str, bytes], image: str) -> bytes:
    """The CodeDeploy revision: the revision directory's files (appspec.yml, hooks/*.sh made
    executable) plus release.env naming the image, as a zip that depends on nothing else."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            if name != "release.env":
                _add(archive, name, files[name])
        _add(archive, "release.env", f"IMAGE={image}\n".encode())
    return buffer.getvalue()


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
    info.external_attr = (0o755 if name.endswith(".sh") else 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def outcome(deployment: Mapping[str, Any]) -> str:
    """CodeDeploy's status of a deployment, made strict: every instance must succeed.

    CodeDeployDefault.OneAtATime (and any minimum-healthy-hosts rule that takes one instance out
    at a time) reports Succeeded when the LAST instance failed; that counts as Failed here, and
    whoever started the deployment rolls the release back.
    """
    status = str(deployment["status"])
    failed = int(deployment.get("deploymentOverview", {}).get("Failed", 0))
    return "Failed" if status == "Succeeded" and failed else status
