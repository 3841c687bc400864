"""TPU slice shapes from the data table manifests/tpu_types.yaml (`--tpu v5e-16`)."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import NamedTuple

from summlaunch.errors import SummlaunchError

_TYPE = re.compile(r"^([a-z0-9]+)-(\d+)$")
_TOPOLOGY = re.compile(r"^\d+(x\d+)+$")


class TpuSlice(NamedTuple):
    """One TPU slice: what a node pool provides and what each pod (one per host) asks for."""

    tpu_type: str  # canonical, e.g. "v5e-16"
    generation: str
    accelerator: str  # cloud.google.com/gke-tpu-accelerator value
    topology: str  # cloud.google.com/gke-tpu-topology value
    machine_type: str
    chips: int
    chips_per_host: int
    zone: str

    @property
    def hosts(self) -> int:
        return self.chips // self.chips_per_host

    @property
    def multi_host(self) -> bool:
        return self.hosts > 1


@lru_cache(maxsize=None)
def table() -> dict:
    import yaml

    from summlaunch.assets import asset_dir

    return yaml.safe_load((asset_dir("manifests") / "tpu_types.yaml").read_text())["generations"]


def _generation(name: str) -> tuple[str, dict]:
    for gen, row in table().items():
        if name == gen or name in row.get("aliases", ()):
            return gen, row
    raise SummlaunchError(f"--tpu: unknown TPU generation {name!r}; known: {', '.join(valid_types())}")


def valid_types() -> list[str]:
    return [f"{gen}-{size}" for gen, row in table().items() for size in row["sizes"]]


def lookup(tpu_type: str, topology: str | None = None) -> TpuSlice:
    """The slice for `--tpu TYPE` (e.g. v5e-16, v5litepod-16, v5p-8), with an optional topology override."""
    match = _TYPE.match(tpu_type.strip().lower())
    if not match:
        raise SummlaunchError(f"--tpu: {tpu_type!r} is not GENERATION-SIZE (e.g. v5e-16); "
                              f"valid: {', '.join(valid_types())}")
    gen, row = _generation(match.group(1))
    size = int(match.group(2))
    entry = row["sizes"].get(size)
    if entry is None:
        sizes = ", ".join(f"{gen}-{s}" for s in row["sizes"])
        raise SummlaunchError(f"--tpu: {tpu_type!r} is not a {gen} size; valid: {sizes}")
    chips = size // 2 if row["size_unit"] == "cores" else size
    chosen = entry["topology"]
    if topology:
        chosen = _check_topology(topology, row["dims"], chips, entry["chips_per_host"], f"{gen}-{size}")
    return TpuSlice(f"{gen}-{size}", gen, row["accelerator"], chosen, entry["machine_type"], chips,
                    entry["chips_per_host"], row["zone"])


def _check_topology(topology: str, dims: int, chips: int, per_host: int, tpu_type: str) -> str:
    topology = topology.strip().lower()
    if not _TOPOLOGY.match(topology) or topology.count("x") + 1 != dims:
        raise SummlaunchError(f"--tpu-topology: {topology!r} is not a {dims}-dimensional topology like "
                              f"{'2x2x4' if dims == 3 else '4x4'} (for {tpu_type})")
    product = math.prod(int(d) for d in topology.split("x"))
    if product != chips:
        raise SummlaunchError(f"--tpu-topology: {topology} has {product} chips but {tpu_type} has {chips}; "
                              "pick a topology whose dimensions multiply to the chip count")
    if chips > per_host and chips % per_host:
        raise SummlaunchError(f"--tpu-topology: {chips} chips do not fill hosts of {per_host} chips")
    return topology
