"""The TPU data table: shapes per type, aliases, topology overrides, what the pods and pools get."""

from __future__ import annotations

import math

import pytest

from summlaunch.errors import SummlaunchError
from summlaunch.jobspec.tpu_types import lookup, table, valid_types


@pytest.mark.parametrize("tpu,chips,hosts,per_host,topology,machine,accelerator", [
    ("v4-8", 4, 1, 4, "2x2x1", "ct4p-hightpu-4t", "tpu-v4-podslice"),
    ("v4-16", 8, 2, 4, "2x2x2", "ct4p-hightpu-4t", "tpu-v4-podslice"),
    ("v5e-1", 1, 1, 1, "1x1", "ct5lp-hightpu-1t", "tpu-v5-lite-podslice"),
    ("v5e-8", 8, 1, 8, "2x4", "ct5lp-hightpu-8t", "tpu-v5-lite-podslice"),
    ("v5litepod-16", 16, 4, 4, "4x4", "ct5lp-hightpu-4t", "tpu-v5-lite-podslice"),
    ("v5e-256", 256, 64, 4, "16x16", "ct5lp-hightpu-4t", "tpu-v5-lite-podslice"),
    ("v5p-8", 4, 1, 4, "2x2x1", "ct5p-hightpu-4t", "tpu-v5p-slice"),
    ("v5p-128", 64, 16, 4, "4x4x4", "ct5p-hightpu-4t", "tpu-v5p-slice"),
    ("v6e-4", 4, 1, 4, "2x2", "ct6e-standard-4t", "tpu-v6e-slice"),
    ("v6e-32", 32, 8, 4, "4x8", "ct6e-standard-4t", "tpu-v6e-slice"),
])
def test_known_shapes(tpu, chips, hosts, per_host, topology, machine, accelerator):
    s = lookup(tpu)
    assert (s.chips, s.hosts, s.chips_per_host, s.topology, s.machine_type, s.accelerator) == \
        (chips, hosts, per_host, topology, machine, accelerator)


def test_every_row_is_consistent():
    for gen, row in table().items():
        for size, entry in row["sizes"].items():
            chips = size // 2 if row["size_unit"] == "cores" else size
            dims = [int(d) for d in entry["topology"].split("x")]
            assert len(dims) == row["dims"], (gen, size)
            assert math.prod(dims) == chips, (gen, size)
            assert chips % entry["chips_per_host"] == 0 or chips < entry["chips_per_host"], (gen, size)


def test_topology_override():
    s = lookup("v5p-32", "2x4x2")
    assert (s.topology, s.hosts) == ("2x4x2", 4)


def test_unknown_size_lists_the_valid_ones():
    with pytest.raises(SummlaunchError) as info:
        lookup("v6e-12")
    assert "v6e-1, v6e-4, v6e-8, v6e-16, v6e-32, v6e-64, v6e-128, v6e-256" in str(info.value)


def test_valid_types_cover_four_generations():
    gens = {t.split("-")[0] for t in valid_types()}
    assert gens == {"v4", "v5e", "v5p", "v6e"}
