"""The deploy-time checks of BPMN expressions and scripts: an AST allowlist and constant folding.

:func:`check_expression` returns the French problems of one expression or script; engine/lint.py
runs it on every place SpiffWorkflow evaluates Python when a diagram is deployed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from .i18n import _
from .script_compiler import compile_guarded
from .script_guards import PRINTF_WIDTH

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.Module,
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.If,
    ast.For,
    ast.Pass,
    ast.Break,
    ast.Continue,
    ast.Compare,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.Constant,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.DictComp,
    ast.SetComp,
    ast.GeneratorExp,
    ast.comprehension,
    ast.Call,
    ast.keyword,
    ast.IfExp,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.Starred,
    ast.And,
    ast.Or,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
)
_FORBIDDEN_NAMES = {
    "eval",
    "exec",
    "compile",
    "open",
    "globals",
    "locals",
    "vars",
    "getattr",
    "setattr",
    "delattr",
    "input",
    "breakpoint",
    "help",
    "dir",
    "type",
    "object",
    "memoryview",
    "super",
    "classmethod",
    "staticmethod",
    "property",
    "print",
    "pow",
    "exit",
    "quit",
    "sys",
    "os",
    "builtins",
}
_MAX_CONSTANT = 10**12
_MAX_EXPONENT = 64
_MAX_REPEAT = 10_000
# The in-place operators _inplacevar accepts at run time.
_INPLACE_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
#: Constant folding at deploy: what literals may build (characters or items; bits of an integer).
MAX_FOLDED_LENGTH = 100_000
MAX_FOLDED_BITS = 4096

# An estimate of a constant sub-expression: ("int", bits, value when small) or ("seq", length).
_Estimate = tuple[str, int, int | None] | None


def _estimate(node: ast.AST, cache: dict[int, _Estimate]) -> _Estimate:
    """Fold literals without computing them: the size `*`, `**`, `<<` and `+` would build."""
    key = id(node)
    if key not in cache:
        cache[key] = _fold(node, cache)
    return cache[key]


def _fold(node: ast.AST, cache: dict[int, _Estimate]) -> _Estimate:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (bool, int)):
            value = int(node.value)
            return ("int", value.bit_length(), value)
        if isinstance(node.value, (str, bytes)):
            return ("seq", len(node.value), None)
        return None
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return ("seq", len(node.elts), None)
    if isinstance(node, ast.JoinedStr):
        return ("seq", sum(len(str(v.value)) for v in node.values if isinstance(v, ast.Constant)), None)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert)):
        inner = _estimate(node.operand, cache)
        if inner and inner[0] == "int":
            return ("int", inner[1] + 1, None)
        return None
    if not isinstance(node, ast.BinOp):
        return None
    left, right = _estimate(node.left, cache), _estimate(node.right, cache)
    if left is None or right is None:
        return None
    kinds = (left[0], right[0])

    def small(value: int | None, bits: int) -> int | None:
        return value if value is not None and bits <= 64 else None

    if isinstance(node.op, ast.Mult):
        if kinds == ("int", "int"):
            bits = left[1] + right[1]
            both = left[2] is not None and right[2] is not None
            return ("int", bits, small(left[2] * right[2], bits) if both else None)  # type: ignore[operator]
        if "seq" in kinds and "int" in kinds:
            seq, count = (left, right) if left[0] == "seq" else (right, left)
            times = count[2] if count[2] is not None else 2 ** min(count[1], 64)
            return ("seq", seq[1] * max(times, 0), None)
    elif isinstance(node.op, ast.Pow) and kinds == ("int", "int") and right[2] is not None:
        return ("int", max(left[1], 1) * max(right[2], 0), None)
    elif isinstance(node.op, ast.LShift) and kinds == ("int", "int"):
        shift = right[2] if right[2] is not None else 2 ** min(right[1], 64)
        return ("int", left[1] + max(shift, 0), None)
    elif isinstance(node.op, ast.Add):
        if kinds == ("seq", "seq"):
            return ("seq", left[1] + right[1], None)
        if kinds == ("int", "int"):
            return ("int", max(left[1], right[1]) + 1, None)
    return None


def _folding_problems(tree: ast.AST) -> Iterable[str]:
    cache: dict[int, _Estimate] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.BinOp):
            continue
        estimate = _estimate(node, cache)
        if estimate is None:
            continue
        if estimate[0] == "seq" and estimate[1] > MAX_FOLDED_LENGTH:
            yield (
                _(
                    "valeur trop grande : ces constantes construiraient %(size)s caractères ou éléments "
                    "(au plus %(limit)s)",
                    size=estimate[1],
                    limit=MAX_FOLDED_LENGTH,
                )
            )
        elif estimate[0] == "int" and estimate[1] > MAX_FOLDED_BITS:
            yield _(
                "nombre trop grand : ces constantes donneraient un entier de %(bits)s bits", bits=estimate[1]
            )


def _problems(tree: ast.AST) -> Iterable[str]:
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            yield _("construction « %(name)s » interdite", name=type(node).__name__)
        elif isinstance(node, ast.Name) and (node.id.startswith("_") or node.id in _FORBIDDEN_NAMES):
            yield _("nom « %(name)s » interdit", name=node.id)
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            yield _("attribut « %(name)s » interdit", name=node.attr)
        elif isinstance(node, ast.Attribute) and node.attr in {"format", "format_map", "mro"}:
            yield _("méthode « %(name)s » interdite", name=node.attr)
        elif isinstance(node, ast.AugAssign) and not isinstance(node.op, _INPLACE_OPS):
            yield _("affectation composée interdite (seuls +=, -=, *= et /= sont permis)")
        elif isinstance(node, ast.Call) and (
            any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords)
        ):
            yield _("appel avec * ou ** interdit")
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, int) and abs(node.value) > _MAX_CONSTANT
        ):
            yield _("nombre trop grand")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            right = node.right
            if not (
                isinstance(right, ast.Constant)
                and isinstance(right.value, int)
                and abs(right.value) <= _MAX_EXPONENT
            ):
                yield _("puissance limitée à un exposant constant inférieur à 64")
            elif any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) for n in ast.walk(node.left)):
                yield _("puissances imbriquées interdites")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.LShift)):
            sides = (node.left, node.right)
            if any(
                isinstance(side, (ast.List, ast.Tuple, ast.JoinedStr))
                or (isinstance(side, ast.Constant) and isinstance(side.value, (str, bytes)))
                for side in sides
            ) and not any(
                isinstance(side, ast.Constant)
                and isinstance(side.value, int)
                and abs(side.value) <= _MAX_REPEAT
                for side in sides
            ):
                yield _("répétition limitée à %(count)s fois une valeur constante", count=_MAX_REPEAT)
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Mod)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
            and PRINTF_WIDTH.search(node.left.value)
        ):
            yield _("formatage « % » avec une largeur trop grande ou variable interdit")


def check_expression(source: str, *, mode: str = "eval") -> list[str]:
    """Return the French problems found in a BPMN expression (mode 'eval') or script ('exec')."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        return [_("erreur de syntaxe (%(error)s)", error=exc.msg)]
    problems = list(dict.fromkeys([*_problems(tree), *_folding_problems(tree)]))
    if not problems:
        compiled = compile_guarded(source, mode)
        problems.extend(
            _("interdite par l'environnement restreint (%(error)s)", error=error) for error in compiled.errors
        )
    return problems
