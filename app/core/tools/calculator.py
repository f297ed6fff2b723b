"""The ``calculator`` tool: arithmetic on a parsed expression tree, never ``eval``.

The expression is parsed with ``ast.parse(mode="eval")`` and walked by a small
interpreter that knows numbers, arithmetic operators, comparisons, a few
constants and whitelisted ``math`` functions. Everything else (names, attribute
access, strings, lambdas, comprehensions …) is refused with a clear message.

Limits keep every step cheap, so no input can hang or exhaust memory: the text
length, the tree's size and depth, integer sizes (checked *before* a power or
factorial is computed), and a wall-time deadline checked at every node. The
tool also runs the evaluation in a worker thread so the event loop never waits.
"""

from __future__ import annotations

import ast
import asyncio
import math
import operator
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core.tools.base import FunctionTool, Tool, ToolError
from app.core.tools.calc_parser import FlatParseError, parse_flat

Number = int | float | bool


class CalculatorError(ToolError):
    """The expression was refused or could not be computed (message is shown)."""


@dataclass(frozen=True)
class Limits:
    # A flat sum of 10,000 terms fits: chains of one operator are not nesting.
    max_length: int = 200_000  # characters of expression text
    max_nodes: int = 100_000  # syntax-tree nodes
    max_depth: int = 100  # real nesting (the evaluator recurses per level); the
    # left operand of a binary operator is not a level: chains are walked in a loop
    max_bits: int = 10_000  # size of any integer result
    max_factorial: int = 1_000  # largest n for factorial / comb / perm
    max_round_digits: int = 1_000  # largest |ndigits| for round()
    time_limit: float = 2.0  # seconds of evaluation


TOO_LARGE = "result too large"

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf}

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
    ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
}
_UNSUPPORTED_OPERATORS = {
    ast.BitXor: "'^' is not supported (use ** for powers)",
    ast.BitAnd: "'&' is not supported", ast.BitOr: "'|' is not supported",
    ast.LShift: "'<<' is not supported", ast.RShift: "'>>' is not supported",
    ast.MatMult: "'@' is not supported", ast.Invert: "'~' is not supported",
}
_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access", ast.Subscript: "indexing",
    ast.Lambda: "lambda", ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.List: "lists", ast.Tuple: "tuples", ast.Set: "sets", ast.Dict: "dicts",
    ast.JoinedStr: "strings", ast.NamedExpr: "assignment", ast.Starred: "unpacking",
    ast.IfExp: "conditional expressions", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield", ast.Slice: "slices",
}


def _checked_factorial(limits: Limits) -> Callable[[int], int]:
    def factorial(n: int) -> int:
        if isinstance(n, int) and n > limits.max_factorial:
            raise CalculatorError(f"{TOO_LARGE}: factorial is limited to "
                                  f"n <= {limits.max_factorial}")
        return math.factorial(n)
    return factorial


def _checked_comb(limits: Limits, function: Callable[..., int]) -> Callable[..., int]:
    def combinatoric(n: int, *k: int) -> int:
        if isinstance(n, int) and n > limits.max_factorial:
            raise CalculatorError(f"{TOO_LARGE}: {function.__name__} is limited to "
                                  f"n <= {limits.max_factorial}")
        return function(n, *k)
    return combinatoric


def _checked_round(limits: Limits) -> Callable[..., Number]:
    def round_(x: Number, ndigits: int | None = None) -> Number:
        # round(int, -n) computes 10**n internally: bound n first.
        if isinstance(ndigits, int) and abs(ndigits) > limits.max_round_digits:
            raise CalculatorError(f"round() accepts at most {limits.max_round_digits} "
                                  "digits")
        return round(x) if ndigits is None else round(x, ndigits)
    return round_


def _functions(limits: Limits) -> dict[str, Callable[..., Any]]:
    plain = {name: getattr(math, name) for name in (
        "sqrt", "cbrt", "exp", "log10", "log2", "log1p", "sin", "cos", "tan", "asin",
        "acos", "atan", "atan2", "sinh", "cosh", "tanh", "degrees", "radians", "floor",
        "ceil", "trunc", "gcd", "lcm", "hypot", "isqrt", "fabs")}
    return plain | {
        "log": math.log, "abs": abs, "min": min, "max": max,
        "round": _checked_round(limits), "factorial": _checked_factorial(limits),
        "comb": _checked_comb(limits, math.comb), "perm": _checked_comb(limits, math.perm),
    }


FUNCTION_NAMES = tuple(sorted(_functions(Limits())))


def allowed_names() -> str:
    return (f"constants {', '.join(sorted(CONSTANTS))}; "
            f"functions {', '.join(FUNCTION_NAMES)}")


class _Evaluator:
    def __init__(self, limits: Limits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self.deadline = clock() + limits.time_limit
        self.functions = _functions(limits)

    def run(self, node: ast.AST) -> Any:
        if self.clock() > self.deadline:
            raise CalculatorError(
                f"the calculation took too long (limit {self.limits.time_limit:g} s)")
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            what = _REFUSED_NODES.get(type(node), type(node).__name__)
            raise CalculatorError(f"{what} not allowed in a calculation")
        return self._checked(method(node))

    def _checked(self, value: Any) -> Any:
        if isinstance(value, complex):
            raise CalculatorError("the result is a complex number, which is not supported")
        if isinstance(value, int) and value.bit_length() > self.limits.max_bits:
            raise CalculatorError(f"{TOO_LARGE} (more than {self.limits.max_bits} bits)")
        return value

    def _Expression(self, node: ast.Expression) -> Any:
        return self.run(node.body)

    def _Constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            if isinstance(value, complex):
                raise CalculatorError("complex numbers are not supported")
            if isinstance(value, str | bytes):
                raise CalculatorError("strings are not allowed in a calculation")
            raise CalculatorError(f"{value!r} is not a number")
        return value

    def _Name(self, node: ast.Name) -> Any:
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in self.functions:
            raise CalculatorError(f"'{node.id}' is a function; call it like {node.id}(…)")
        raise CalculatorError(f"unknown name '{node.id}' (allowed: {allowed_names()})")

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        if type(node.op) in _UNSUPPORTED_OPERATORS:
            raise CalculatorError(_UNSUPPORTED_OPERATORS[type(node.op)])
        return _UNARY[type(node.op)](self.run(node.operand))

    def _BinOp(self, node: ast.BinOp) -> Any:
        """A left-associative chain (``1 + 2 + ... + n``) is walked in a loop,
        not recursively: its length is not nesting."""
        chain: list[ast.BinOp] = []
        operand: ast.AST = node
        while isinstance(operand, ast.BinOp):
            if type(operand.op) in _UNSUPPORTED_OPERATORS:
                raise CalculatorError(_UNSUPPORTED_OPERATORS[type(operand.op)])
            chain.append(operand)
            operand = operand.left
        value = self.run(operand)
        for link in reversed(chain):
            right = self.run(link.right)
            if isinstance(link.op, ast.Pow):
                self._check_power(value, right)
            value = self._checked(_BINARY[type(link.op)](value, right))
        return value

    def _check_power(self, base: Number, exponent: Number) -> None:
        """Refuse an integer power whose result would exceed the size limit,
        before computing it. (Float powers overflow cheaply on their own.)"""
        if not (isinstance(base, int) and isinstance(exponent, int)):
            return
        if abs(base) <= 1 or exponent <= 0:
            return
        if isinstance(exponent, int) and exponent.bit_length() > 64:
            raise CalculatorError(TOO_LARGE)
        if exponent * math.log2(abs(base)) > self.limits.max_bits:
            raise CalculatorError(f"{TOO_LARGE} (more than {self.limits.max_bits} bits)")

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        values = [self.run(value) for value in node.values]
        if isinstance(node.op, ast.And):
            return all(values)
        return any(values)

    def _Compare(self, node: ast.Compare) -> bool:
        left = self.run(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if type(op) not in _COMPARE:
                raise CalculatorError("only ==, !=, <, <=, >, >= comparisons are allowed")
            right = self.run(comparator)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _Call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name):
            raise CalculatorError("only the calculator's functions can be called "
                                  f"({', '.join(FUNCTION_NAMES)})")
        name = node.func.id
        function = self.functions.get(name)
        if function is None:
            if name in CONSTANTS:
                raise CalculatorError(f"'{name}' is a constant, not a function")
            raise CalculatorError(f"unknown function '{name}' (allowed: "
                                  f"{', '.join(FUNCTION_NAMES)})")
        if node.keywords:
            raise CalculatorError(f"{name}() takes no keyword arguments")
        arguments = [self.run(argument) for argument in node.args]
        try:
            return function(*arguments)
        except TypeError as exc:
            raise CalculatorError(f"{name}(): {exc}") from exc
        except ValueError as exc:
            raise CalculatorError(f"{name}(): {exc}") from exc


def _parse(expression: str, limits: Limits) -> ast.Expression:
    text = expression.strip()
    if not text:
        raise CalculatorError("the expression is empty")
    if len(text) > limits.max_length:
        raise CalculatorError(f"the expression is too long ({len(text)} characters; "
                              f"limit {limits.max_length})")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise CalculatorError(f"invalid expression: {exc.msg}") from exc
    except ValueError as exc:  # e.g. null bytes
        raise CalculatorError(f"invalid expression: {exc}") from exc
    except MemoryError as exc:  # the parser's own nesting limit
        raise CalculatorError("the expression is too deeply nested") from exc
    except RecursionError:
        # Python 3.11 builds no tree deeper than ~3x the recursion limit, and
        # a long flat chain is that deep: parse it without recursion instead.
        tree = _parse_flat(text, limits)
    _check_shape(tree, limits)
    return tree


def _check_shape(tree: ast.AST, limits: Limits) -> None:
    """Count nodes and depth without recursion, so nothing here can overflow."""
    nodes = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            raise CalculatorError(f"the expression is too complex (more than "
                                  f"{limits.max_nodes} parts)")
        if depth > limits.max_depth:
            raise CalculatorError(f"the expression is too deeply nested (more than "
                                  f"{limits.max_depth} levels)")
        for child in ast.iter_child_nodes(node):
            # The evaluator walks a chain's left operands in a loop (_BinOp).
            chained = isinstance(node, ast.BinOp) and child is node.left
            stack.append((child, depth if chained else depth + 1))


def _parse_flat(text: str, limits: Limits) -> ast.Expression:
    def too_deep() -> CalculatorError:
        return CalculatorError(f"the expression is too deeply nested (more than "
                               f"{limits.max_depth} levels)")
    try:
        return parse_flat(text, limits.max_depth, too_deep)
    except FlatParseError as exc:
        raise CalculatorError(str(exc)) from None


def evaluate(expression: str, limits: Limits | None = None,
             clock: Callable[[], float] = time.monotonic) -> Number:
    """The value of ``expression``; raises CalculatorError with a readable message."""
    limits = limits or Limits()
    tree = _parse(expression, limits)
    try:
        return _Evaluator(limits, clock).run(tree)
    except ZeroDivisionError as exc:
        raise CalculatorError("division by zero") from exc
    except OverflowError as exc:
        raise CalculatorError(f"{TOO_LARGE} ({exc})") from exc
    except RecursionError as exc:  # not expected after _check_shape; kept as a guard
        raise CalculatorError("the expression is too deeply nested") from exc
    except TypeError as exc:  # e.g. comparing incomparable values
        raise CalculatorError(f"cannot compute this: {exc}") from exc


def format_result(value: Number) -> str:
    """Integers exactly; floats to 15 significant digits (hides binary noise
    such as 0.1 + 0.2 = 0.30000000000000004) in Python's shortest form."""
    if isinstance(value, bool) or isinstance(value, int):
        return str(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return repr(float(f"{value:.15g}"))


def calculate(expression: str, limits: Limits | None = None) -> str:
    """Evaluate and format: the tool's result text."""
    return format_result(evaluate(expression, limits))


def calculator_tool(limits: Limits | None = None) -> Tool:
    """The ``calculator`` tool (auto-approved: it cannot touch anything)."""
    limits = limits or Limits()

    async def calculator(expression: str) -> str:
        """Evaluate a math expression exactly and return the result.

        Supports + - * / // % ** (powers), parentheses, comparisons, the
        constants pi, e, tau, inf and functions such as sqrt, sin, cos, tan,
        log (natural, or log(x, base)), log10, log2, exp, factorial, gcd, floor,
        ceil, abs, round, min, max, hypot, degrees, radians. Integers are exact.

        Args:
            expression: the expression, e.g. "sqrt(2) * (3 + 4)**2" or "factorial(20)".
        """
        # A worker thread keeps the event loop free; the evaluator's own
        # deadline ends the thread's work even if this await is abandoned.
        return await asyncio.to_thread(calculate, expression, limits)

    return FunctionTool(calculator, name="calculator", risk="low",
                        timeout=limits.time_limit + 3.0)
