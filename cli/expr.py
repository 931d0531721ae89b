"""A safe expression language for `gradtrace draw`: parsed with `ast`, checked against an
allow-list, evaluated on `Value`s by walking the tree. Nothing is ever passed to `eval`.

Allowed: numbers, names, `+ - * / **` (a number exponent), unary `-` and `+`, parentheses and
calls to exp, log, tanh, sigmoid, relu (one argument) and max (two arguments).
"""

from __future__ import annotations

import ast
import io
import math
import operator
import tokenize
from dataclasses import dataclass

from gradtrace import Value

UNARY_FUNCTIONS = ("exp", "log", "tanh", "sigmoid", "relu")
FUNCTIONS = (*UNARY_FUNCTIONS, "max")
MAX_LENGTH = 100_000


class ExpressionError(ValueError):
    """The expression or its values are not acceptable; the message says why, in one line."""


@dataclass(frozen=True)
class Parsed:
    """A checked expression: its syntax tree and its variable names in order of appearance."""

    text: str
    tree: ast.expr
    names: tuple[str, ...]


_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def parse(text: str) -> Parsed:
    """Parse and check `text`; raise ExpressionError naming the first thing not allowed.

    A long sum (x + x + ... + x, thousands of terms) is parsed term by term: Python's own
    parser gives up on a few thousand operators in a row ("nested too deeply")."""
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    text = text.strip()
    names: list[str] = []
    tree: ast.expr | None = None
    for sign, term in _terms(text):
        one = _parse_one(term, names)
        tree = one if tree is None else ast.BinOp(tree, sign(), one)
    assert tree is not None
    return Parsed(text, tree, tuple(names))


def _terms(text: str) -> list[tuple[type, str]]:
    """`text` cut at its top-level binary + and - (the operators of lowest precedence in the
    language): [(ast.Add, first term), (ast.Sub, second), ...]. Anything the tokenizer cannot
    read is left whole, for the parser to name what is wrong."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return [(ast.Add, text)]
    cuts: list[tuple[int, type]] = []
    depth = 0
    previous = None
    for tok in tokens:
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        elif (
            tok.type == tokenize.OP
            and tok.string in ("+", "-")
            and depth == 0
            and previous is not None
            and (previous.type in (tokenize.NAME, tokenize.NUMBER) or previous.string == ")")
        ):
            if tok.start[0] != 1:  # one line only; anything else goes to the parser whole
                return [(ast.Add, text)]
            cuts.append((tok.start[1], ast.Add if tok.string == "+" else ast.Sub))
        if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.COMMENT):
            previous = tok
    pieces, start, sign = [], 0, ast.Add
    for at, op in cuts:
        pieces.append((sign, text[start:at]))
        start, sign = at + 1, op
    pieces.append((sign, text[start:]))
    return pieces


def _parse_one(text: str, names: list[str]) -> ast.expr:
    """Parse one term and check it against the allow-list, adding its names to `names`."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as e:
        where = f" at column {e.offset}" if e.offset else ""
        raise ExpressionError(f"malformed expression{where}: {e.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("malformed expression: nested too deeply") from None
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise ExpressionError(f"operator {_source(text, node)!r} is not allowed")
            if isinstance(node.op, ast.Pow) and _number(node.right) is None:
                raise ExpressionError("the exponent of ** must be a number, e.g. x ** 2")
            stack += [node.right, node.left]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise ExpressionError(f"operator {_source(text, node)!r} is not allowed")
            stack.append(node.operand)
        elif isinstance(node, ast.Constant):
            if _number(node) is None:
                raise ExpressionError(f"{node.value!r} is not a number")
            if not math.isfinite(node.value):
                raise ExpressionError(
                    f"the number {_source(text, node)} is too large for a float (it would be inf)"
                )
        elif isinstance(node, ast.Name):
            if node.id not in names:
                names.append(node.id)
        elif isinstance(node, ast.Call):
            fn = node.func.id if isinstance(node.func, ast.Name) else None
            if fn not in FUNCTIONS:
                raise ExpressionError(
                    f"unknown function {_source(text, node.func)!r}; allowed: "
                    + ", ".join(FUNCTIONS)
                )
            if node.keywords:
                raise ExpressionError(f"{fn}() takes no keyword arguments")
            want = 2 if fn == "max" else 1
            if len(node.args) != want or any(isinstance(a, ast.Starred) for a in node.args):
                raise ExpressionError(f"{fn}() takes {want} argument{'s' * (want > 1)}")
            stack += reversed(node.args)
        else:
            raise ExpressionError(f"{_source(text, node)!r} is not allowed in an expression")
    return tree


def parse_assignments(items: list[str]) -> dict[str, float]:
    """["x=-2", "y=5"] -> {"x": -2.0, "y": 5.0}; bad items raise ExpressionError."""
    values: dict[str, float] = {}
    for item in items:
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ExpressionError(f"expected name=value, got {item!r}")
        try:
            x = float(number)
        except ValueError:
            raise ExpressionError(f"the value of {name} is not a number: {number!r}") from None
        if not math.isfinite(x):
            raise ExpressionError(f"the value of {name} is not finite: {number!r}")
        if name in values:
            raise ExpressionError(f"{name} is given twice")
        values[name] = x
    return values


def evaluate(parsed: Parsed, values: dict[str, float]) -> tuple[Value, dict[str, Value]]:
    """Build the graph of `parsed` on Values; returns the root and the leaf of each name.

    Domain errors of the gates (log(0), 1/0, ...) become ExpressionError with the gate's
    message. The tree is walked with an explicit stack, so long expressions are fine."""
    missing = [n for n in parsed.names if n not in values]
    if missing:
        raise ExpressionError(
            "no value for "
            + ", ".join(missing)
            + " (give e.g. "
            + " ".join(f"{n}=1" for n in missing)
            + ")"
        )
    unused = [n for n in values if n not in parsed.names]
    if unused:
        raise ExpressionError(", ".join(unused) + " not in the expression")
    leaves = {n: Value(values[n], n) for n in parsed.names}
    results: dict[int, Value | float] = {}
    stack: list[tuple[ast.expr, bool]] = [(parsed.tree, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, ast.Constant):
            results[id(node)] = float(node.value)
            continue
        if isinstance(node, ast.Name):
            results[id(node)] = leaves[node.id]
            continue
        kids = _children(node)
        if not ready:
            stack.append((node, True))
            stack += [(k, False) for k in reversed(kids)]
            continue
        args = [results.pop(id(k)) for k in kids]
        try:
            results[id(node)] = _apply(node, args)
        except (ArithmeticError, ValueError, TypeError) as e:
            raise ExpressionError(_what_failed(node, args, e)) from None
    root = results[id(parsed.tree)]
    if not isinstance(root, Value):
        root = Value(root)  # a constant expression: a graph of one leaf
    return root, leaves


def _what_failed(node: ast.expr, args: list, error: Exception) -> str:
    """One line: the operation that failed, on which numbers, and the gate's own message."""
    shown = [f"{a.data:g}" if isinstance(a, Value) else f"{a:g}" for a in args]
    if isinstance(node, ast.BinOp):
        what = f" {_BINARY[type(node.op)]} ".join(shown)
    elif isinstance(node, ast.UnaryOp):
        what = f"-{shown[0]}"
    else:
        what = f"{node.func.id}({', '.join(shown)})"  # type: ignore[union-attr]
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, OverflowError) and message.startswith("("):  # the raw errno pair
        message = "the result is too large for a float"
    return f"{what}: {message}"


def _children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    assert isinstance(node, ast.Call)
    return list(node.args)


# + - * / on Values (the gates) and on plain numbers alike; ** is handled apart (a number exponent)
_ARITHMETIC = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _apply(node: ast.expr, args: list) -> Value | float:
    if isinstance(node, ast.BinOp):
        a, b = args
        op = type(node.op)
        if not isinstance(a, Value) and not isinstance(b, Value):
            return _numbers(op, a, b)  # both plain numbers: fold them, no gate
        if op is ast.Pow:
            return a ** float(b)
        return _ARITHMETIC[op](a, b)
    if isinstance(node, ast.UnaryOp):
        (a,) = args
        return -a if isinstance(node.op, ast.USub) else a
    fn = node.func.id  # type: ignore[union-attr]
    a = args[0] if isinstance(args[0], Value) else Value(args[0])
    if fn == "max":
        return a.max(args[1])
    return getattr(a, fn)()


def _numbers(op: type, a: float, b: float) -> float:
    """Arithmetic on two plain numbers, with the same domain checks as the gates."""
    if op is ast.Div and b == 0:
        raise ZeroDivisionError(f"division of the number {a:g} by 0")
    if op is not ast.Pow:
        return _ARITHMETIC[op](a, b)
    if a < 0 and not float(b).is_integer():
        raise ValueError(f"pow: negative number {a:g} to a non-integer power {b:g}")
    if a == 0 and b < 0:
        raise ZeroDivisionError(f"pow: 0 to a negative power {b:g}")
    return float(a) ** float(b)


def _number(node: ast.expr) -> float | None:
    """The value of a number literal (optionally with unary minus), else None."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if isinstance(node.op, ast.USub):
            sign = -sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sign * float(node.value)
    return None


def _source(text: str, node: ast.AST) -> str:
    return ast.get_source_segment(text.strip(), node) or type(node).__name__
