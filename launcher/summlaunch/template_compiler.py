"""Compile manifests/*.j2 into plain Python (summlaunch/_manifests.py), so rendering needs no Jinja2.

    python -m summlaunch.template_compiler            # rewrite launcher/summlaunch/_manifests.py
    python -m summlaunch.template_compiler --check    # exit 1 when it is out of date

Jinja2 parses each template (same options as summlaunch.render: trim_blocks, lstrip_blocks,
keep_trailing_newline, StrictUndefined, no autoescape); this module turns the parse tree into
one Python function per template, using summlaunch.template_runtime for what Jinja2 does at
run time. Only the constructs the manifests use are supported; anything else is an error
here, never a silent difference. The generated module records each template's size and
CRC-32: when a template on disk differs, summlaunch.render uses Jinja2 instead.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from pathlib import Path

from jinja2 import nodes

OUTPUT = Path(__file__).with_name("_manifests.py")
BINOPS = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "FloorDiv": "//", "Mod": "%"}
COMPARE = {"eq": "==", "ne": "!=", "gt": ">", "gteq": ">=", "lt": "<", "lteq": "<=", "in": "in", "notin": "not in"}
IMPLICIT = ("loop", "caller", "varargs", "kwargs", "self", "super")


def checksum(source: str) -> tuple[int, int]:
    data = source.encode()
    return len(data), zlib.crc32(data)


class _Writer:
    """Python source of one template: statements with indentation, scopes of Jinja names."""

    def __init__(self, template: str):
        self.name = template
        self.lines: list[str] = []
        self.depth = 0
        self.scopes: list[dict[str, str]] = []
        self.counter = 0

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def fail(self, node: nodes.Node, what: str):
        raise NotImplementedError(f"{self.name}:{node.lineno}: {what} is not supported by the template compiler")

    def bind(self, name: str) -> str:
        if name in IMPLICIT:
            raise NotImplementedError(f"{self.name}: the name {name!r} is not supported by the template compiler")
        self.counter += 1
        python = f"l_{name}_{self.counter}"
        self.scopes[-1][name] = python
        return python

    def resolve(self, name: str) -> str:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in IMPLICIT:
            raise NotImplementedError(f"{self.name}: {name!r} is not supported by the template compiler")
        return f"rt.lookup(ctx, {name!r})"

    # ---- statements ----------------------------------------------------------------------

    def body(self, body: list[nodes.Node]) -> None:
        if not body:
            self.line("pass")
        for node in body:
            handler = getattr(self, f"stmt_{type(node).__name__}", None)
            if handler is None:
                self.fail(node, f"{{% {type(node).__name__.lower()} %}}")
            handler(node)

    def stmt_Output(self, node: nodes.Output) -> None:
        for part in node.nodes:
            if isinstance(part, nodes.TemplateData):
                self.line(f"_o.append({part.data!r})")
            else:
                self.line(f"_o.append(str({self.expr(part)}))")

    def stmt_If(self, node: nodes.If) -> None:
        self.line(f"if {self.expr(node.test)}:")
        self.block(node.body)
        for branch in node.elif_:
            self.line(f"elif {self.expr(branch.test)}:")
            self.block(branch.body)
        if node.else_:
            self.line("else:")
            self.block(node.else_)

    def stmt_For(self, node: nodes.For) -> None:
        if node.test is not None or node.recursive:
            self.fail(node, "a filtered or recursive for loop")
        iterable = self.expr(node.iter)
        self.scopes.append({})
        target = self.target(node.target)
        if node.else_:
            self.counter += 1
            items = f"_items_{self.counter}"
            self.line(f"{items} = list({iterable})")
            iterable = items
        self.line(f"for {target} in {iterable}:")
        self.block(node.body)
        self.scopes.pop()
        if node.else_:
            self.line(f"if not {items}:")
            self.block(node.else_)

    def target(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.Name):
            return self.bind(node.name)
        if isinstance(node, nodes.Tuple):
            return "(" + "".join(self.target(item) + ", " for item in node.items) + ")"
        self.fail(node, "this loop target")

    def stmt_Macro(self, node: nodes.Macro) -> None:
        python = self.bind(node.name)
        self.scopes.append({})
        params = [self.bind(arg.name) for arg in node.args]
        self.line(f"def {python}({', '.join(f'{p}=rt.MISSING' for p in params)}):")
        self.depth += 1
        defaults = [None] * (len(params) - len(node.defaults)) + list(node.defaults)
        for arg, param, default in zip(node.args, params, defaults):
            value = self.expr(default) if default is not None else f"rt.undefined_parameter({arg.name!r})"
            self.line(f"if {param} is rt.MISSING:")
            self.line(f"    {param} = {value}")
        self.line("_o = []")
        self.body(node.body)
        self.line("return ''.join(_o)")
        self.depth -= 1
        self.scopes.pop()
        self.exports[node.name] = python

    def stmt_Import(self, node: nodes.Import) -> None:
        if node.with_context or not isinstance(node.template, nodes.Const):
            self.fail(node, "an import with context or of a computed name")
        self.line(f"{self.bind(node.target)} = _import({node.template.value!r})")

    def stmt_Include(self, node: nodes.Include) -> None:
        if not node.with_context or node.ignore_missing or not isinstance(node.template, nodes.Const):
            self.fail(node, "an include without context, ignoring missing, or of a computed name")
        visible = {name: python for scope in self.scopes for name, python in scope.items()}
        passed = "".join(f", {name!r}: {python}" for name, python in visible.items())
        self.line(f"_o.append(TEMPLATES[{node.template.value!r}]({{**ctx{passed}}})[0])")

    def block(self, body: list[nodes.Node]) -> None:
        self.depth += 1
        self.body(body)
        self.depth -= 1

    # ---- expressions ---------------------------------------------------------------------

    def expr(self, node: nodes.Node) -> str:
        handler = getattr(self, f"expr_{type(node).__name__}", None)
        if handler is None:
            self.fail(node, f"the expression {type(node).__name__}")
        return handler(node)

    def expr_Const(self, node: nodes.Const) -> str:
        return repr(node.value)

    def expr_Name(self, node: nodes.Name) -> str:
        return self.resolve(node.name)

    def expr_Getattr(self, node: nodes.Getattr) -> str:
        return f"rt.getattr_({self.expr(node.node)}, {node.attr!r})"

    def expr_Getitem(self, node: nodes.Getitem) -> str:
        return f"rt.getitem({self.expr(node.node)}, {self.expr(node.arg)})"

    def _arguments(self, node) -> str:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            self.fail(node, "*args or **kwargs in a call")
        parts = [self.expr(arg) for arg in node.args]
        parts += [f"{kw.key}={self.expr(kw.value)}" for kw in node.kwargs]
        return ", ".join(parts)

    def expr_Filter(self, node: nodes.Filter) -> str:
        from summlaunch.template_runtime import FILTERS

        if node.name not in FILTERS:
            self.fail(node, f"the filter {node.name!r}")
        args = self._arguments(node)
        return f"rt.{FILTERS[node.name]}({self.expr(node.node)}{', ' + args if args else ''})"

    def expr_Test(self, node: nodes.Test) -> str:
        from summlaunch.template_runtime import TESTS

        if node.name not in TESTS or node.args or node.kwargs:
            self.fail(node, f"the test {node.name!r}")
        return f"rt.{TESTS[node.name]}({self.expr(node.node)})"

    def expr_Call(self, node: nodes.Call) -> str:
        args = self._arguments(node)
        return f"rt.call({self.expr(node.node)}{', ' + args if args else ''})"

    def expr_Compare(self, node: nodes.Compare) -> str:
        text = self.expr(node.expr)
        for operand in node.ops:
            text += f" {COMPARE[operand.op]} {self.expr(operand.expr)}"
        return f"({text})"

    def expr_Not(self, node: nodes.Not) -> str:
        return f"(not {self.expr(node.node)})"

    def expr_And(self, node: nodes.And) -> str:
        return f"({self.expr(node.left)} and {self.expr(node.right)})"

    def expr_Or(self, node: nodes.Or) -> str:
        return f"({self.expr(node.left)} or {self.expr(node.right)})"

    def expr_CondExpr(self, node: nodes.CondExpr) -> str:
        if node.expr2 is None:
            self.fail(node, "an inline if without else")
        return f"({self.expr(node.expr1)} if {self.expr(node.test)} else {self.expr(node.expr2)})"

    def expr_List(self, node: nodes.List) -> str:
        return "[" + ", ".join(self.expr(item) for item in node.items) + "]"

    def expr_Tuple(self, node: nodes.Tuple) -> str:
        return "(" + "".join(self.expr(item) + ", " for item in node.items) + ")"

    def expr_Dict(self, node: nodes.Dict) -> str:
        return "{" + ", ".join(f"{self.expr(p.key)}: {self.expr(p.value)}" for p in node.items) + "}"

    def _binop(self, node) -> str:
        return f"({self.expr(node.left)} {BINOPS[type(node).__name__]} {self.expr(node.right)})"

    expr_Add = expr_Sub = expr_Mul = expr_Div = expr_FloorDiv = expr_Mod = _binop

    def template(self, function: str, tree: nodes.Template) -> list[str]:
        self.exports: dict[str, str] = {}
        self.line(f"def {function}(ctx):")
        self.depth += 1
        self.scopes.append({})
        self.line("_o = []")
        self.body(tree.body)
        exports = ", ".join(f"{name!r}: {python}" for name, python in self.exports.items())
        self.line(f"return ''.join(_o), {{{exports}}}")
        self.scopes.pop()
        self.depth -= 1
        return self.lines


def _environment(folder: Path):
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True, undefined=jinja2.StrictUndefined, autoescape=False)


def compile_folder(folder: Path) -> str:
    """The Python source of summlaunch/_manifests.py for every *.j2 template in `folder`."""
    env = _environment(folder)
    out = ['"""The manifests/*.j2 templates compiled to Python: generated by `python -m',
           'summlaunch.template_compiler`; do not edit. summlaunch.render uses it only while every',
           'template on disk still has the size and CRC-32 recorded in SOURCES."""',
           "", "from summlaunch import template_runtime as rt", ""]
    sources, functions = {}, {}
    for index, path in enumerate(sorted(folder.glob("*.j2"))):
        source = path.read_text()
        sources[path.name] = checksum(source)
        functions[path.name] = function = f"_template_{index}"
        out += ["", f"# {path.name}", *_Writer(path.name).template(function, env.parse(source, path.name)), ""]
    out += ["", "SOURCES = {"] + [f"    {name!r}: {value!r}," for name, value in sources.items()] + ["}"]
    out += ["TEMPLATES = {"] + [f"    {name!r}: {function}," for name, function in functions.items()] + ["}"]
    out += ["_MODULES: dict = {}", "", "",
            "def _import(name):",
            "    if name not in _MODULES:",
            "        _MODULES[name] = rt.Module(TEMPLATES[name]({})[1])",
            "    return _MODULES[name]", "", "",
            "def render(name, variables):",
            '    """The text the template `name` renders with these variables."""',
            "    return TEMPLATES[name](dict(variables))[0]", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    from summlaunch.assets import asset_dir

    parser = argparse.ArgumentParser(prog="python -m summlaunch.template_compiler", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the compiled module is up to date")
    args = parser.parse_args(argv)
    source = compile_folder(asset_dir("manifests"))
    if args.check:
        current = OUTPUT.read_text() if OUTPUT.is_file() else ""
        if current != source:
            print(f"{OUTPUT} is out of date: run python -m summlaunch.template_compiler", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(source)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
