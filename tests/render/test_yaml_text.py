"""summlaunch.yaml_text against PyYAML: what it writes reads back the same, what it reads is read the same.

The reader must give PyYAML's result or raise Unsupported (then render falls back to PyYAML);
for the text of every case in tests/cases it must not fall back at all.
"""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
import yaml

from summlaunch import yaml_text
from summlaunch.render import template_text

from ._support import GOLDEN, case_argv

LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])


def _pyyaml_all(text: str, loader=yaml.SafeLoader) -> list:
    return [d for d in yaml.load_all(text, Loader=loader) if d is not None]


# ---- reading ------------------------------------------------------------------------------

def test_every_case_is_read_without_pyyaml_and_exactly_as_pyyaml_reads_it(template_calls):
    fallbacks = 0
    for origin, name, context in template_calls:
        text = template_text(name, context)
        try:
            documents = yaml_text.load_all(text)
        except yaml_text.Unsupported:
            assert origin == "hostile", f"{name}: a tests/cases render fell back to PyYAML"
            fallbacks += 1
            continue
        assert documents == _pyyaml_all(text), name
    # the hostile specs carry non-ASCII text (é, U+2028), which tojson escapes: they are read too
    assert fallbacks == 0


@pytest.mark.parametrize("path", sorted(GOLDEN.rglob("*.yaml")), ids=lambda p: p.stem)
def test_goldens_are_read_as_pyyaml_reads_them_or_declined(path):
    text = path.read_text()
    try:
        documents = yaml_text.load_all(text)
    except yaml_text.Unsupported:
        return
    assert documents == _pyyaml_all(text)


OUTSIDE_OR_TRICKY = [
    "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: [b, c]\n", "a: {b: c}\n", "# comment\na: 1\n", "a: 1 # comment\n",
    "a: b\n  c\n", "a: |\n  x\n", "a: >\n  x\n", "a: 1e5\n", "a: 1.0e+5\n", "a: [1e5]\n", "a: .5\n", "a: 1.5\n",
    "a: 0x1F\n", "a: 017\n", "a: 1:20\n", "a: 2001-12-14\n", "\ta: 1\n", "a:\n\t- 1\n", "a: 1\na: 2\n", "? a\n: 1\n",
    "a:1\n", "a: 'x'\n", "a: \"\\ud83d\\ude00\"\n", "a: NaN\n", "a: [NaN]\n", "a: yes\nb: Off\nc: ~\nd: Null\ne:\n",
    "a: -1\nb: +2\nc: 1_000\nd: 0\n", "true: 1\n", "1: a\n", "a: b: c\n", "- a\n- b: c\n  d: [1, {\"e\": null}]\n- - f\n  - g\n",
    "a:\n- 1\n- 2\nb: 3\n", "a:\n  - 1\n  -\n    b: 2\n", "---\n---\na: 1\n---\n", "a: \"x\" y\n", "a: \"x\"\"y\"\n",
    "- -1\n- - \n", "a: %x\n", "a: @x\n", "a: `x`\n", "a: x #y\n", "a: x#y\n", "a: http://x:1/y\n", "a: - b\n",
    "\"k\": v\n\"k2\":\n  \"k3\": [\"x\", 1, true, null, {\"a\": [false]}]\n", "a: \"\\x41\"\n", "a: \"\\/\"\n", "...\n",
    "a: {\"b\": 1, \"b\": 2}\n", "a:\n    b: 1\n  c: 2\n", "a: [1,\n  2]\n", "a: é\n", "a: x\r\n", "a: \"\\u2028\"\n",
]


@pytest.mark.parametrize("text", OUTSIDE_OR_TRICKY)
def test_tricky_text_is_read_as_pyyaml_reads_it_or_declined(text):
    try:
        documents = yaml_text.load_all(text)
    except yaml_text.Unsupported:
        return
    assert documents == _pyyaml_all(text)


@pytest.mark.parametrize("text,expected", [
    ("a: 1\n", [{"a": 1}]), ("\"a.b/c\": [\"x\"]\n", [{"a.b/c": ["x"]}]), ("a:\n- 1\n- {}\n", [{"a": [1, {}]}]),
    ("- b: 1\n  c: null\n", [[{"b": 1, "c": None}]]), ("a: None\nb: RuntimeDefault\n", [{"a": "None", "b": "RuntimeDefault"}]),
])
def test_the_dialect_itself_is_read(text, expected):
    assert yaml_text.load_all(text) == expected


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
        text = yaml_text.dump(document)
        assert yaml.load(text, Loader=loader) == document, text
    documents = list(_documents())
    assert _pyyaml_all(yaml_text.dump_all(documents), loader) == documents


def test_random_strings_read_back_the_same():
    rng = random.Random(20261128)
    alphabet = "ab -?:#,'\"\\|>&*!%@`[]{}\n\t\r.0123456789eExX_+~yn" + "é日😀\x00\x85\u2028\ufeff\x7f"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        document = {text: [text, {"k": text}]}
        assert yaml.load(yaml_text.dump(document), Loader=LOADERS[-1]) == document, repr(text)


def test_ordinary_objects_are_laid_out_as_pyyaml_lays_them_out():
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "labels": {"app.kubernetes.io/name": "web"}},
           "spec": {"args": ["-m", "summtrain", "--output_dir", "/workspace/outputs/x", "3.0.0"], "count": 3, "ok": True,
                    "items": [{"name": "a", "value": "b"}, {"name": "c", "valueFrom": {"fieldRef": {"fieldPath": "d"}}}],
                    "empty": {}, "none": [], "nothing": None}}
    expected = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=1 << 16)
    assert yaml_text.dump(obj) == expected
    # text with line breaks is a literal block (PyYAML's default would fold it into quotes)
    assert yaml_text.dump({"config.yaml": "a: 1\nb: 2\n"}) == "config.yaml: |\n  a: 1\n  b: 2\n"
    assert yaml_text.dump([["a\nb"]]) == "- - |-\n    a\n    b\n"


def test_non_string_keys_and_unknown_types_are_refused():
    with pytest.raises(TypeError):
        yaml_text.dump({1: "a"})
    with pytest.raises(TypeError):
        yaml_text.dump({"a": object()})


def test_render_does_not_import_pyyaml():
    code = ("import sys\nfrom summlaunch import cli\n"
            f"assert cli.main({case_argv('all-options')!r}) == 0\n"
            "assert 'yaml' not in sys.modules and 'jinja2' not in sys.modules, 'yaml or jinja2 imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
