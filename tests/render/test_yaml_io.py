"""summlaunch.objects.yaml_io: what it writes reads back the same in YAML 1.1 (PyYAML) and never lets a
YAML 1.2 reader (kubectl) take a string for a number, a boolean or null."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
import yaml

from summlaunch.objects import yaml_io

from ._support import case_argv

LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])


def _pyyaml_all(text: str, loader=yaml.SafeLoader) -> list:
    return [d for d in yaml.load_all(text, Loader=loader) if d is not None]


# ---- writing ------------------------------------------------------------------------------

NASTY = ["", " ", "a ", " a", "a b", "-", "- a", "-a", "--flag", "?", "? a", "?a", ":", ": a", ":a", "a:", "a: b", "a:b",
         "#", "a #b", "a#b", "&a", "*a", "!a", "|", ">", "'", "\"", "%", "@", "`", ",", "[", "]", "{", "}", "[a, b]",
         "{a: b}", "---", "...", "--- a", "yes", "No", "ON", "off", "y", "n", "true", "False", "null", "Null", "~",
         "1", "-1", "+1", "1.0", "1e5", "1E-5", ".5", "1.", "0x1F", "0o17", "017", "0b101", "1_000", "1:20", "1:20.5",
         ".inf", "-.Inf", ".NaN", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "<<", "=", "3.0.0", "v1.2", "16Gi",
         "a\tb", "\t", "a\n", "a\nb", "a\nb\n", "a\n\n", "\na", " a\nb", "a \nb", "a\n b", "a\r\nb", "\r", "\x00",
         "\x7f", "\x85", "\x9f", "\xa0", "é", "日本", "😀", "a\u2028b", "\u2029", "\ufeff", "\ud7ff", "\ue000",
         "\ufffe", "summarize: ", "$(PET_MASTER_ADDR):$(PET_MASTER_PORT)", "is_host=1,join_timeout=1800",
         "ghcr.io/x/y:tag@sha256:abc", "app.kubernetes.io/name", "/workspace/outputs/t5-cnn", "None", "a'b", "a\"b",
         "a\\b", "\\", "'a'", "\"a\"", "x\n---\nkind: Secret\n", "{{ c.name }}", "{% if %}", "a,b", "a[b]", "a{b}"]


def _documents():
    yield {"plain": "value", "n": 1, "f": 0.5, "e": 1e-05, "big": 1e16, "inf": float("inf"), "t": True, "no": None,
           "empty": {}, "none": [], "list": [1, "two", None, [], {}, [3, [4]], {"k": "v", "l": [5]}]}
    for value in NASTY:
        yield {"value": value, value: value, "list": [value, {value: [value]}], "nested": {value: {"deep": value}}}
    yield [[NASTY[:5], {"a": NASTY[5:10]}], "x"]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_what_is_written_reads_back_the_same(loader):
    for document in _documents():
        text = yaml_io.dump(document)
        assert yaml.load(text, Loader=loader) == document, text
    documents = list(_documents())
    assert _pyyaml_all(yaml_io.dump_all(documents), loader) == documents


def test_random_strings_read_back_the_same():
    rng = random.Random(20261128)
    alphabet = "ab -?:#,'\"\\|>&*!%@`[]{}\n\t\r.0123456789eExX_+~yn" + "é日😀\x00\x85\u2028\ufeff\x7f"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        document = {text: [text, {"k": text}]}
        assert yaml.load(yaml_io.dump(document), Loader=LOADERS[-1]) == document, repr(text)


def test_ordinary_objects_are_laid_out_as_pyyaml_lays_them_out():
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "labels": {"app.kubernetes.io/name": "web"}},
           "spec": {"args": ["-m", "summtrain", "--output_dir", "/workspace/outputs/x", "3.0.0"], "count": 3, "ok": True,
                    "items": [{"name": "a", "value": "b"}, {"name": "c", "valueFrom": {"fieldRef": {"fieldPath": "d"}}}],
                    "empty": {}, "none": [], "nothing": None}}
    expected = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=1 << 16)
    assert yaml_io.dump(obj) == expected
    # text with line breaks is a literal block (PyYAML's default would fold it into quotes)
    assert yaml_io.dump({"config.yaml": "a: 1\nb: 2\n"}) == "config.yaml: |\n  a: 1\n  b: 2\n"
    assert yaml_io.dump([["a\nb"]]) == "- - |-\n    a\n    b\n"


# Strings YAML 1.2 (kubectl, Go) reads as something else, which PyYAML alone would write plain.
YAML_12_NON_STRINGS = ["3e-4", "1e5", "1E-5", "0o17", "0x1F", "0b101", "y", "Y", "n", "N", ".5", "1.", "+1",
                       "-.Inf", ".NaN", "1_000", "~", "", "null", "true", "off", "2001-12-14"]


@pytest.mark.parametrize("text", YAML_12_NON_STRINGS)
def test_strings_a_yaml_12_reader_could_misread_are_quoted(text):
    written = yaml_io.dump({"v": text})
    assert written in (f"v: '{text}'\n", f'v: "{text}"\n'), written
    assert yaml_io.load(written) == {"v": text}


def test_unknown_types_are_refused():
    with pytest.raises(yaml.representer.RepresenterError):
        yaml_io.dump({"a": object()})


def test_render_imports_jinja2_and_pyyaml_lazily():
    code = ("import sys\nfrom summlaunch import cli\n"
            "cli.build_parser()\n"
            "assert 'yaml' not in sys.modules and 'jinja2' not in sys.modules, 'yaml or jinja2 imported by the parser'\n"
            f"assert cli.main({case_argv('all-options')!r}) == 0\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
