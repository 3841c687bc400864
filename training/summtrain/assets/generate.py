"""Write the bundled summarization dataset: short news-like articles and one-line summaries.

Each article holds one key sentence (first or second) among distractor sentences; the
summary restates the key sentence in a fixed shape, so a tiny model can learn to find it
and copy its entities. Deterministic: the same seed writes the same bytes.

    python -m summtrain.assets.generate [--seed 0] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from summtrain.assets import DATA_DIR

SPLITS = {"train": 2000, "validation": 200, "test": 200}
FIRST = ("Anna Ben Carla David Elena Farid Greta Hugo Irene Jonas Kira Leo Maya Nico Olga Pavel "
         "Rosa Samir Tara Victor").split()
LAST = "Adams Brooks Chen Diaz Evans Fischer Garcia Hill Ito Jensen Kumar Lopez Moreau Novak Ortiz".split()
ROLES = "mayor governor director chairman spokesperson minister president".split()
PLACES = ("Ashford Bramley Carlow Denton Elmira Fairview Glenwood Harlow Inverness Jasper Kingsley "
          "Linden Marlow Northfield Oakridge Preston Quarry Riverton Stanton Tilbury").split()
ACTIONS = "build close open repair sell replace inspect expand".split()
COUNTS = "two three four five six seven eight nine ten eleven twelve twenty".split()
THINGS = "schools bridges parks libraries roads hospitals stations markets clinics harbours".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
WEATHER = "rainy sunny windy cold warm foggy".split()
GROUPS = "farmers teachers students nurses drivers artists".split()
VENUES = "town hall museum stadium library theatre".split()
TOPICS = "tax budget traffic housing water energy".split()
ADJ = "ambitious costly popular uncertain modest".split()


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _distractor(rng: random.Random) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return f"The weather in {rng.choice(PLACES)} was {rng.choice(WEATHER)} on {rng.choice(DAYS)} ."
    if kind == 1:
        return f"Local {rng.choice(GROUPS)} met at the {rng.choice(VENUES)} to discuss {rng.choice(TOPICS)} ."
    return f"{_person(rng)} said the {rng.choice(TOPICS)} plan was {rng.choice(ADJ)} ."


def example(rng: random.Random) -> dict[str, str]:
    person, place = _person(rng), rng.choice(PLACES)
    action, count, things = rng.choice(ACTIONS), rng.choice(COUNTS), rng.choice(THINGS)
    key = (f"{person} , the {rng.choice(ROLES)} of {place} , announced on {rng.choice(DAYS)} that "
           f"{place} will {action} {count} {things} .")
    sentences = [_distractor(rng) for _ in range(rng.randint(2, 4))]
    sentences.insert(rng.randrange(2), key)
    return {"article": " ".join(sentences), "summary": f"{place} will {action} {count} {things} , {person} says ."}


def write(out: Path = DATA_DIR, seed: int = 0) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for offset, (split, n) in enumerate(SPLITS.items()):
        rng = random.Random(seed * 1000 + offset)
        path = out / f"{split}.jsonl"
        path.write_text("".join(json.dumps(example(rng)) + "\n" for _ in range(n)))
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    args = parser.parse_args()
    for path in write(args.out, args.seed):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
