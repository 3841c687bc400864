"""The compiled templates (summlaunch._manifests) write exactly what Jinja2 writes.

Every template call made while rendering every case in tests/cases and every hostile spec of
test_hostile.py is replayed through both engines and the texts compared byte for byte. Also:
the compiled module is up to date with manifests/, is what `render` uses, keeps Jinja2 out of
the process, steps aside when a template on disk changes, and the compiler refuses what it
cannot translate faithfully.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import jinja2
import pytest
from jinja2 import filters as jinja_filters

from summlaunch import _manifests, render, template_compiler
from summlaunch import template_runtime as rt
from summlaunch.assets import asset_dir

from . import test_hostile
from ._support import case_argv, case_names


def _jinja(folder=None) -> jinja2.Environment:
    return template_compiler._environment(folder or asset_dir("manifests"))


def test_compiled_module_is_up_to_date():
    expected = template_compiler.compile_folder(asset_dir("manifests"))
    assert template_compiler.OUTPUT.read_text() == expected, \
        "launcher/summlaunch/_manifests.py is stale: run python -m summlaunch.template_compiler"


def test_every_template_call_renders_the_same_text_both_ways(template_calls):
    env = _jinja()
    templates = {name for _, name, _ in template_calls}
    assert {"pytorchjob.yaml.j2", "tfjob.yaml.j2", "tpu-jobset.yaml.j2", "trainjob.yaml.j2"} <= templates
    for _, name, context in template_calls:
        assert _manifests.render(name, {"c": context}) == env.get_template(name).render(c=context), name
    assert len(template_calls) >= len(case_names()) + 2 * len(test_hostile.CASES)


def test_render_uses_the_compiled_templates_and_never_imports_jinja2():
    assert render._compiled() is _manifests
    code = ("import sys\nfrom summlaunch import cli\n"
            f"assert cli.main({case_argv('all-options')!r}) == 0\n"
            "assert 'jinja2' not in sys.modules, 'jinja2 imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "kind: PyTorchJob" in result.stdout


def test_a_changed_template_on_disk_is_rendered_by_jinja2(tmp_path, monkeypatch):
    folder = tmp_path / "manifests"
    shutil.copytree(asset_dir("manifests"), folder)
    path = folder / "pytorchjob.yaml.j2"
    path.write_text(path.read_text().replace("kind: PyTorchJob", "kind: PyTorchJob\n# edited"))
    monkeypatch.setattr("summlaunch.assets.asset_dir", lambda name: folder)
    render._compiled.cache_clear()
    render._environment.cache_clear()
    try:
        assert render._compiled() is None
        spec = test_hostile._spec("pytorchjob", "torch", None, test_hostile._placeholder)
        spec = spec._replace(name="edited")
        context = render.common_context(spec)
        from summlaunch import kinds

        context |= kinds.get("pytorchjob").context(spec)
        assert "# edited" in render.template_text("pytorchjob.yaml.j2", context)
    finally:
        render._compiled.cache_clear()
        render._environment.cache_clear()


@pytest.mark.parametrize("context,message", [
    ({}, "'c' is undefined"),
    ({"c": {"name": "x"}}, "has no attribute"),
])
def test_missing_values_raise_jinja2s_undefined_error_both_ways(context, message):
    with pytest.raises(jinja2.UndefinedError):
        _jinja().get_template("pytorchjob.yaml.j2").render(**context)
    with pytest.raises(jinja2.UndefinedError, match=message):
        _manifests.render("pytorchjob.yaml.j2", context)


SNIPPETS = {
    "macro defaults and missing parameters": (
        "{% macro f(a, b=[1], c=none) %}{{ a|tojson }}{{ b|length }}{{ c is defined }}{% endmacro %}"
        "{{ f(x) }}|{{ f(x, [1, 2], 3) }}|{{ f(x)|indent(2, true) }}", {"x": {"k": "<&'>"}}),
    "loops over items, tuples, else": (
        "{% for k, v in d.items() %}{{ k }}={{ v|tojson }};{% else %}empty{% endfor %}"
        "{% for i in [] %}x{% else %}none{% endfor %}", {"d": {"b": 1, "a": [True, None]}}),
    "getattr falls back to items, getitem to attributes": (
        "{{ d.key }} {{ d['key'] }} {{ d.items is defined }} {{ d.nope is defined }} {{ d['nope'] is defined }}",
        {"d": {"key": "v"}}),
    "arithmetic, comparisons, conditions": (
        "{{ n // 2 }} {{ n + 1 }} {{ l + [3] }} {{ n > 2 and n <= 7 }} {{ 'a' in l or not n }}"
        "{% if n == 7 %}seven{% elif n %}other{% endif %} {{ 'y' if n else 'n' }}", {"n": 7, "l": ["a"]}),
    "indent of awkward text": (
        "{{ t|indent(3) }}|{{ t|indent(2, first=true, blank=true) }}|{{ t|indent('> ') }}",
        {"t": "a\n\n b \r\nc\u2028d\x0ce\n"}),
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippets_render_the_same_both_ways(tmp_path, name):
    source, variables = SNIPPETS[name]
    (tmp_path / "t.j2").write_text(source)
    namespace: dict = {}
    exec(compile(template_compiler.compile_folder(tmp_path), "<compiled>", "exec"), namespace)
    assert namespace["render"]("t.j2", variables) == _jinja(tmp_path).get_template("t.j2").render(**variables)


@pytest.mark.parametrize("source,what", [
    ("{% set x = 1 %}", "assign"),
    ("{{ x|upper }}", "filter 'upper'"),
    ("{% for i in l %}{{ loop.index }}{% endfor %}", "'loop'"),
    ("{{ x is none }}", "test 'none'"),
    ("{% include x %}", "include"),
    ("{% macro f() %}{{ caller() }}{% endmacro %}", "'caller'"),
])
def test_the_compiler_refuses_what_it_cannot_translate(tmp_path, source, what):
    (tmp_path / "t.j2").write_text(source)
    with pytest.raises(NotImplementedError, match="t.j2") as error:
        template_compiler.compile_folder(tmp_path)
    assert what in str(error.value)


@pytest.mark.parametrize("value", ["x", "<a href='b'>&</a>", {"b": [1, None, True], "a": "é\u2028"}, 3, None])
def test_tojson_matches_jinja2(value):
    assert rt.tojson(value) == _jinja().from_string("{{ v|tojson }}").render(v=value)


@pytest.mark.parametrize("text", ["", "a", "a\n", "a\nb", "\n\n", " x\n\ny \n", "a\r\nb\rc\x0bd\x1ce\x85f\u2029g"])
@pytest.mark.parametrize("kwargs", [{}, {"width": 2}, {"width": 3, "first": True}, {"width": "\t", "blank": True},
                                    {"width": 1, "first": True, "blank": True}])
def test_indent_matches_jinja2(text, kwargs):
    assert rt.indent(text, **kwargs) == jinja_filters.do_indent(text, **kwargs)
