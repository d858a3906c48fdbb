"""Pinned AMIs: infra/amis.json, `python -m infra.ami` against moto, and the deploy-time refusal."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

import infra.ami as ami
from infra.ami import AmiPin, load_pins, promote, refresh, save_pins, with_pinned_ami
from infra.assembly import deployable, stack_names
from infra.environments import DEV, ENVIRONMENTS
from tests.infra.conftest import ENV_NAMES, moto_account
from tests.infra.templates import TemplateJson, only

REGION = DEV.region
TODAY = "2026-11-27"
PIN = AmiPin(REGION, "ami-0123456789abcdef0", "al2023-ami-test-x86_64", "2026-11-01", TODAY)


@pytest.fixture(scope="module")
def aws() -> Iterator[boto3.Session]:
    """A moto account (shared by this module's tests, which only read from it): it serves AWS's
    public AL2023 parameters and the images they name."""
    with moto_account(REGION) as session:
        yield session


def test_the_committed_pins_file_covers_every_environment() -> None:
    pins = load_pins()
    assert set(pins) == set(ENVIRONMENTS)
    for name, pin in pins.items():  # AmiPin checks the id's form; a pin is of its region
        assert pin is None or pin.region == ENVIRONMENTS[name].region
    data = json.loads(ami.PINS_FILE.read_text())
    assert data["source"] == ami.LATEST_AL2023


def test_refresh_pins_the_current_al2023_image_of_the_region(
    aws: boto3.Session, tmp_path: Path
) -> None:
    latest = aws.client("ssm").get_parameter(Name=ami.LATEST_AL2023)["Parameter"]["Value"]
    pins = refresh(aws, ["dev", "staging"], {"dev": None, "staging": None, "prod": None}, TODAY)
    pin = pins["dev"]
    assert pin is not None and pin.image_id == latest and pin.region == REGION
    assert pin.name.startswith("al2023-ami-") and pin.name.endswith("-x86_64")
    assert pins["staging"] == pin and pins["prod"] is None  # only the named environments
    save_pins(pins, tmp_path / "amis.json")
    assert load_pins(tmp_path / "amis.json") == pins
    # refreshing again changes nothing, not even the day it was pinned
    assert refresh(aws, ["dev"], pins, "2027-01-01") == pins


def test_refresh_refuses_an_image_of_another_architecture(
    aws: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ami, "LATEST_AL2023", ami.LATEST_AL2023.replace("x86_64", "arm64"))
    with pytest.raises(SystemExit, match="is arm64"):
        refresh(aws, ["dev"], {"dev": None}, TODAY)


def test_promote_copies_a_pin_within_its_region() -> None:
    assert promote({"staging": PIN, "prod": None}, "staging", "prod")["prod"] == PIN
    with pytest.raises(SystemExit, match="no pinned AMI"):
        promote({"staging": None}, "staging", "prod")
    elsewhere = dataclasses.replace(PIN, region="us-east-1")
    with pytest.raises(SystemExit, match="not in that region"):
        promote({"staging": elsewhere}, "staging", "prod")


def test_made_up_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="not an AMI id"):
        dataclasses.replace(PIN, image_id="ami-latest")


def test_the_cdk_cli_refuses_an_environment_without_a_pinned_ami() -> None:
    with pytest.raises(SystemExit, match=r"no pinned AMI for dev: run `python -m infra.ami"):
        deployable("dev", {}, {"dev": None})
    (config,) = deployable("dev", {}, {"dev": PIN})
    assert config.ami_id == PIN.image_id
    (config,) = deployable("dev", {"ami_id": "ami-0fedcba9876543210"}, {"dev": None})
    assert config.ami_id == "ami-0fedcba9876543210"  # -c ami_id=... for one deployment


def test_a_pin_from_another_region_is_refused() -> None:
    with pytest.raises(SystemExit, match="is from us-east-1"):
        with_pinned_ami(DEV, {"dev": dataclasses.replace(PIN, region="us-east-1")})


def test_show_needs_no_aws(capsys: pytest.CaptureFixture[str]) -> None:
    assert ami.main(["show"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(ENVIRONMENTS)


@pytest.mark.parametrize("env", ENV_NAMES)
def test_launch_template_boots_the_pinned_ami_or_is_marked_unpinned(
    service_json: Callable[[str], TemplateJson], env: str
) -> None:
    template = service_json(env)
    image = only(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]["ImageId"]
    pin = load_pins()[env]
    if pin is not None:
        assert image == pin.image_id
    else:  # make synth / tests only: AWS's public parameter, which app.py never deploys
        parameter = template["Parameters"][image["Ref"]]
        assert parameter["Default"] == ami.LATEST_AL2023
    assert stack_names(ENVIRONMENTS[env])[1].endswith("Service")
