"""The chart's copies of the framework facts (back end, image stack, allowed kinds in
templates/_context.tpl) and of the kinds (values.schema.json, templates/<kind>.yaml) agree with
the launcher's one table (summlaunch.jobspec.frameworks) and kind registry."""

from __future__ import annotations

import json
import re
from pathlib import Path

from summlaunch.jobspec import frameworks
from summlaunch.objects import kinds

CHART = Path(__file__).resolve().parents[2] / "charts" / "summlaunch"
CONTEXT = (CHART / "templates" / "_context.tpl").read_text()


def _dict_after(marker: str) -> dict:
    """The sprig `(dict "k" v ...)` assigned on the line holding `marker`, as {key: value}."""
    line = next(l for l in CONTEXT.splitlines() if marker in l)
    body = line[line.index("(dict ") + 6:]
    pairs = re.findall(r'"([a-z]+)" (\(list [^)]*\)|"[a-z-]+")', body)
    return {k: re.findall(r'"([a-z-]+)"', v) if v.startswith("(list") else v.strip('"') for k, v in pairs}


def test_backends_match_the_framework_table():
    assert _dict_after("$backend :=") == {f.name: f.backend for f in frameworks.TABLE.values()}


def test_stacks_match_the_framework_table():
    # the chart's defaultImages keys are the stack families (torch, tf, xla)
    assert _dict_after("$stack :=") == {f.name: f.stack.split("-")[0] for f in frameworks.TABLE.values()}


def test_allowed_kinds_match_the_framework_table():
    assert _dict_after("$allowed :=") == {f.name: list(f.kinds) for f in frameworks.TABLE.values()}


def test_every_kind_has_a_chart_template_and_a_schema_value():
    schema = json.loads((CHART / "values.schema.json").read_text())
    names = [cls.name for cls in kinds.classes()]
    assert schema["properties"]["kind"]["enum"] == ["auto", *names]
    templates = {p.stem for p in (CHART / "templates").glob("*.yaml")}
    assert set(names) <= templates
