"""The version ranges summtrain declares (requirements.json) are pyproject.toml's extras, and the
launcher refuses an image pin outside them before any engine call, naming the range."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from summtrain import requirements

ROOT = Path(__file__).resolve().parents[2]


def test_declared_ranges_are_the_extras_of_pyproject():
    """Each extra requires the declared range, or an exact version inside it."""
    from summlaunch.images.rules import in_range

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for stack in ("torch", "tf", "xla"):
        declared = requirements.declared_ranges(stack)
        for req in extras[stack]:
            name, spec = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$", req).groups()
            key, spec = requirements.normalize(name), spec.strip()
            if spec.startswith("=="):
                assert in_range(spec[2:], declared[key]), (stack, req, declared[key])
            else:
                assert declared[key] == spec, (stack, req)
        assert len(declared) == len(extras[stack]), stack


def test_every_image_stacks_default_pins_are_inside_the_declared_ranges():
    from summlaunch.images.rules import in_range, load_versions, parse_pin

    for name, stack in load_versions()["stacks"].items():
        ranges = requirements.declared_ranges(name)
        for pin in map(parse_pin, stack["pins"]):
            if pin.key in ranges:
                assert in_range(pin.version, ranges[pin.key]), (name, str(pin), ranges[pin.key])


@pytest.mark.parametrize("framework, pin, declared", [
    ("torch", "transformers==4.10.0", "transformers>=4.44"),
    ("tf", "transformers==4.40.0", "transformers>=4.44,<5"),
    ("xla", "transformers==4.40.0", "transformers>=4.44"),
])
def test_a_pin_outside_the_declared_range_is_refused_naming_it(framework, pin, declared):
    from summlaunch.images.stacks import PinError, resolve

    with pytest.raises(PinError) as info:
        resolve(framework, [pin])
    assert pin in str(info.value) and declared in str(info.value)
    resolve(framework, [])  # the stack's own pins pass
