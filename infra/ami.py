"""Pinned Amazon Linux 2023 AMIs, one per environment, in infra/amis.json.

An environment's instances boot the AMI pinned here, never "whatever is latest when the stack
is synthesized": an AMI changes only when someone refreshes the pin and commits the diff.

    python -m infra.ami show                     # the pins (offline)
    python -m infra.ami refresh [--env NAME...]  # pin the current AL2023 AMI (AWS credentials)
    python -m infra.ami promote staging prod     # prod gets the AMI staging has been running

`refresh` reads AWS's public SSM parameter for the latest AL2023 x86_64 AMI in the
environment's region and checks the image with ec2:DescribeImages (owned by Amazon, x86_64,
available) before writing it. `cdk deploy` (app.py) refuses an environment without a pin, or
with a pin for another region; `make synth` and the tests, which must work offline, synthesize
an unpinned environment with the latest AL2023 resolved by CloudFormation at deploy time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.environments import ENVIRONMENTS, EnvironmentConfig

PINS_FILE = Path(__file__).resolve().parent / "amis.json"
LATEST_AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
AMI_ID = re.compile(r"^ami-[0-9a-f]{8,17}$")


@dataclass(frozen=True)
class AmiPin:
    """One environment's AMI: where it was looked up and what it is."""

    region: str
    image_id: str
    name: str
    created: str  # the image's CreationDate
    pinned: str  # the day the pin was written (UTC)

    def __post_init__(self) -> None:
        if not AMI_ID.match(self.image_id):
            raise ValueError(f"{self.image_id!r} is not an AMI id")


def load_pins(path: Path = PINS_FILE) -> dict[str, AmiPin | None]:
    """Every environment's pin (None where there is none yet)."""
    data = json.loads(path.read_text())
    return {env: AmiPin(**pin) if pin else None for env, pin in data["pins"].items()}


def save_pins(pins: dict[str, AmiPin | None], path: Path = PINS_FILE) -> None:
    """Write the pins back, in environment order, so a refresh is a readable diff."""
    ordered = {
        env: pins.get(env) for env in [*ENVIRONMENTS, *sorted(set(pins) - set(ENVIRONMENTS))]
    }
    data = {
        "about": "Pinned Amazon Linux 2023 AMI per environment; refresh with "
        "`python -m infra.ami refresh` (see docs/deploy.md), never by hand.",
        "source": LATEST_AL2023,
        "pins": {env: dataclasses.asdict(pin) if pin else None for env, pin in ordered.items()},
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


def with_pinned_ami(config: EnvironmentConfig, pins: dict[str, AmiPin | None]) -> EnvironmentConfig:
    """`config` with its pinned AMI (unchanged when it has none, or already names one)."""
    pin = pins.get(config.name)
    if pin is None or config.ami_id:
        return config
    if pin.region != config.region:
        raise SystemExit(
            f"{config.name}: the pinned AMI {pin.image_id} is from {pin.region}, the environment "
            f"deploys to {config.region}: run `python -m infra.ami refresh --env {config.name}`"
        )
    return dataclasses.replace(config, ami_id=pin.image_id)


def require_pinned(configs: Iterable[EnvironmentConfig]) -> None:
    """Refuse (before `cdk deploy` gets a template) environments whose AMI is not pinned."""
    missing = [config.name for config in configs if not config.ami_id]
    if missing:
        names = " ".join(f"--env {name}" for name in missing)
        raise SystemExit(
            f"no pinned AMI for {', '.join(missing)}: run `python -m infra.ami refresh {names}` "
            "with AWS credentials and commit infra/amis.json, or pass -c ami_id=ami-... for "
            "this one deployment"
        )


def latest(session: Any, region: str, today: str) -> AmiPin:
    """The current AL2023 x86_64 AMI of `region`, checked with DescribeImages."""
    image_id = session.client("ssm", region_name=region).get_parameter(Name=LATEST_AL2023)
    image_id = str(image_id["Parameter"]["Value"])
    images = session.client("ec2", region_name=region).describe_images(
        ImageIds=[image_id], Owners=["amazon"]
    )["Images"]
    if not images or images[0].get("ImageOwnerAlias") != "amazon":
        raise SystemExit(f"{image_id} (from {LATEST_AL2023}) is not an Amazon-owned image")
    image = images[0]
    if image["Architecture"] != "x86_64" or image["State"] != "available":
        raise SystemExit(f"{image_id} is {image['Architecture']}, {image['State']}")
    return AmiPin(region, image_id, str(image["Name"]), str(image["CreationDate"]), today)


def refresh(
    session: Any, names: Iterable[str], pins: dict[str, AmiPin | None], today: str
) -> dict[str, AmiPin | None]:
    """`pins` with the named environments pinned to their region's current AL2023 AMI."""
    updated = dict(pins)
    found: dict[str, AmiPin] = {}
    for name in names:
        region = ENVIRONMENTS[name].region
        if region not in found:
            found[region] = latest(session, region, today)
        old = pins.get(name)
        new = found[region]
        if old and (old.region, old.image_id) == (new.region, new.image_id):
            continue  # already the latest: keep the day it was pinned
        updated[name] = new
    return updated


def promote(pins: dict[str, AmiPin | None], source: str, target: str) -> dict[str, AmiPin | None]:
    """`target` pinned to the AMI `source` runs (same region only)."""
    pin = pins.get(source)
    if pin is None:
        raise SystemExit(f"{source} has no pinned AMI to promote")
    if pin.region != ENVIRONMENTS[target].region:
        raise SystemExit(f"{source}'s AMI is from {pin.region}; {target} is not in that region")
    return {**pins, target: pin}


def describe(pins: dict[str, AmiPin | None]) -> list[str]:
    """One line per environment."""
    return [
        f"{env:8} "
        + (f"{p.image_id} {p.name} ({p.region}, pinned {p.pinned})" if p else "NOT PINNED")
        for env, p in pins.items()
    ]


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m infra.ami", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("show", help="print the pins")
    refresh_cmd = commands.add_parser("refresh", help="pin the latest AL2023 AMI (needs AWS)")
    refresh_cmd.add_argument("--env", action="append", choices=sorted(ENVIRONMENTS))
    promote_cmd = commands.add_parser("promote", help="copy one environment's pin to another")
    promote_cmd.add_argument("source", choices=sorted(ENVIRONMENTS))
    promote_cmd.add_argument("target", choices=sorted(ENVIRONMENTS))
    args = parser.parse_args(argv)
    pins = load_pins()
    if args.command == "refresh":
        import boto3  # only this command talks to AWS

        today = datetime.now(UTC).date().isoformat()
        pins = refresh(boto3.Session(), args.env or list(ENVIRONMENTS), pins, today)
    elif args.command == "promote":
        pins = promote(pins, args.source, args.target)
    if args.command != "show":
        save_pins(pins)
    print("\n".join(describe(pins)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
