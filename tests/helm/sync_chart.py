"""Copy the launcher's data into the chart: `python tests/helm/sync_chart.py` (then review the diff).

- charts/summlaunch/files/tpu_types.yaml <- manifests/tpu_types.yaml (a chart cannot read outside itself)
- values.yaml defaultImages <- summlaunch.images.stacks.image_ref(stack): the tags `summlaunch build` gives
  with no pins, which `summlaunch render` uses when --image is not given.
tests/helm/test_chart.py fails (naming this script) while the TPU table differs or a default is not
a build tag of its stack; the tags' hash moves with every change to the training package, so run
this before a release (the chart in the wheel then names the images built from that wheel).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "summlaunch"
STACKS = ("torch", "tf", "xla")


def default_images() -> dict[str, str]:
    from summlaunch.images.stacks import image_ref

    return {stack: image_ref(stack) for stack in STACKS}


def sync() -> list[str]:
    changed = []
    table = CHART / "files" / "tpu_types.yaml"
    if table.read_text() != (ROOT / "manifests" / "tpu_types.yaml").read_text():
        shutil.copyfile(ROOT / "manifests" / "tpu_types.yaml", table)
        changed.append(str(table.relative_to(ROOT)))
    values = CHART / "values.yaml"
    text = new = values.read_text()
    for stack, ref in default_images().items():
        new = re.sub(rf"(?m)^(defaultImages:\n(?:  .*\n)*?  {stack}: ).*$", lambda m: m.group(1) + ref, new)
    if new != text:
        values.write_text(new)
        changed.append(str(values.relative_to(ROOT)))
    return changed


if __name__ == "__main__":
    print("\n".join(sync()) or "up to date")
