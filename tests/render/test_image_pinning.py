"""render pins an image that `build --push` recorded to its registry digest (tag@sha256:...)."""

from __future__ import annotations

import pytest
import yaml

from ._support import run_cli

DIGEST = "sha256:" + "ab12" * 16
REGISTRY = "registry.example.com/team"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SUMMLAUNCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _images(stdout: str) -> set[str]:
    found: set[str] = set()
    for doc in yaml.safe_load_all(stdout):
        stack = [doc]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                found.update(v for k, v in node.items() if k == "image" and isinstance(v, str))
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
    return found


def test_default_image_with_a_recorded_digest_is_pinned(cache):
    from summlaunch.images.stacks import image_ref, record_image

    ref = image_ref("torch", (), REGISTRY)
    code, out, err = run_cli(["render", "--registry", REGISTRY, "--", "--do_train"])
    assert code == 0, err
    assert _images(out) == {ref}  # nothing recorded yet: the plain tag
    record_image(ref, image_id="sha256:" + "0" * 64, digest=DIGEST)
    code, out, err = run_cli(["render", "--registry", REGISTRY, "--", "--do_train"])
    assert code == 0, err
    assert _images(out) == {f"{ref}@{DIGEST}"}
    assert (cache / "images.json").is_file()


def test_explicit_image_pinned_only_when_recorded(cache):
    from summlaunch.images.stacks import record_image

    pushed, other = f"{REGISTRY}/summtrain:mine", f"{REGISTRY}/summtrain:theirs"
    record_image(pushed, image_id="sha256:" + "1" * 64, digest=DIGEST)
    record_image(other, image_id="sha256:" + "2" * 64)  # built here, never pushed: no digest
    for image, expected in ((pushed, f"{pushed}@{DIGEST}"), (other, other),
                            (f"{pushed}@sha256:{'cd34' * 16}", f"{pushed}@sha256:{'cd34' * 16}")):
        code, out, err = run_cli(["render", "--image", image, "--", "--do_train"])
        assert code == 0, err
        assert _images(out) == {expected}
