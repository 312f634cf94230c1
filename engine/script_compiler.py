"""Compiling BPMN expressions and scripts: RestrictedPython's policy plus the run-time guards.

:class:`GuardingTransformer` rewrites the source so that it calls the guards of
engine/script_guards.py; :func:`compile_guarded` is used both when a diagram is deployed
(engine/script_checks.py) and when an expression runs (engine/scripts.py).
"""

from __future__ import annotations

import ast
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec

from .script_guards import BINOP_GUARDS, format_spec_problem


def _located(new: ast.AST, old: ast.AST) -> Any:
    for node in ast.walk(new):
        if "lineno" in node._attributes and not hasattr(node, "lineno"):
            ast.copy_location(node, old)
    return new


def _call(name: str, args: list[ast.expr], old: ast.AST) -> ast.Call:
    return _located(ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[]), old)


class GuardingTransformer(RestrictingNodeTransformer):  # type: ignore[misc]
    """RestrictedPython's checks, plus run-time guards it does not have.

    `*`, `**`, `<<`, `+` and `%` become calls that bound the size of their result before computing it;
    every `while` turn and every call of a function defined in the script takes a step of the
    budget (loops over iterables already do, through `_getiter_`); f-string formats are checked.
    The guard names start with `_`, which the source itself may never use.
    """

    def visit_BinOp(self, node: ast.BinOp) -> Any:  # noqa: N802 - the NodeTransformer's names
        node = self.node_contents_visit(node)
        guard = BINOP_GUARDS.get(type(node.op))
        if guard is None:
            return node
        return _call(guard[0], [node.left, node.right], node)

    def _stepping(self, body: list[ast.stmt], old: ast.AST) -> list[ast.stmt]:
        return [_located(ast.Expr(value=_call("_step_", [], old)), old), *body]

    def visit_While(self, node: ast.While) -> Any:  # noqa: N802 - the NodeTransformer's names
        node = self.node_contents_visit(node)
        node.body = self._stepping(node.body, node)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:  # noqa: N802 - the NodeTransformer's names
        node = super().visit_FunctionDef(node)
        node.body = self._stepping(node.body, node)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:  # noqa: N802 - the NodeTransformer's names
        node = super().visit_Lambda(node)
        node.body = _located(ast.BoolOp(op=ast.Or(), values=[_call("_step_", [], node), node.body]), node)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:  # noqa: N802 - the NodeTransformer's names
        node = self.node_contents_visit(node)
        spec = node.format_spec
        if spec is None:
            return node
        if not (
            isinstance(spec, ast.JoinedStr) and all(isinstance(part, ast.Constant) for part in spec.values)
        ):
            self.error(node, "spécification de format imbriquée interdite")
            return node
        text = "".join(str(part.value) for part in spec.values)  # type: ignore[attr-defined]
        problem = format_spec_problem(text)
        if problem:
            self.error(node, problem)
            return node
        value = node.value
        if node.conversion != -1:
            builtin = {115: "str", 114: "repr", 97: "ascii"}[node.conversion]
            value = _call(builtin, [value], node)
        formatted = _call("_format_", [value, _located(ast.Constant(value=text), node)], node)
        return _located(ast.FormattedValue(value=formatted, conversion=-1, format_spec=None), node)


def compile_guarded(source: str, mode: str) -> Any:
    """Compile with RestrictedPython's policy and the guards (a CompileResult: code, errors)."""
    if mode == "eval":
        return compile_restricted_eval(source, policy=GuardingTransformer)
    return compile_restricted_exec(source, policy=GuardingTransformer)
