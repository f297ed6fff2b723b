"""A second parser for the calculator: long flat chains without deep recursion.

Python's own ``ast.parse`` builds ``1 + 2 + ... + 10000`` as a chain of
``BinOp`` nodes 10,000 levels deep, and in Python 3.11 refuses to build any
tree deeper than about three times the recursion limit ("maximum recursion
depth exceeded during ast construction"). A long sum is not nesting, so the
calculator falls back to this parser when ``ast.parse`` gives up that way.

It is a small precedence-climbing parser over ``tokenize`` tokens with
Python's precedence and associativity for the calculator's subset (numbers,
names, calls, parentheses, unary ``+ - ~ not``, binary arithmetic and bitwise
operators, chained comparisons, ``and``/``or``). It produces the same ``ast``
nodes as ``ast.parse``, so the calculator's checks and evaluator see no
difference. Left-associative chains are built in a loop; only real nesting
(parentheses, unary operators, the right side of ``**``, call arguments)
recurses, and that is bounded by ``max_depth``.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Callable

_ERROR = "invalid expression"

# Binary operators by precedence level, loosest first (below comparisons).
_LEVELS: list[dict[str, type[ast.operator]]] = [
    {"|": ast.BitOr},
    {"^": ast.BitXor},
    {"&": ast.BitAnd},
    {"<<": ast.LShift, ">>": ast.RShift},
    {"+": ast.Add, "-": ast.Sub},
    {"*": ast.Mult, "/": ast.Div, "//": ast.FloorDiv, "%": ast.Mod, "@": ast.MatMult},
]
_COMPARE: dict[str, type[ast.cmpop]] = {
    "==": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE,
}
_UNARY: dict[str, type[ast.unaryop]] = {"+": ast.UAdd, "-": ast.USub, "~": ast.Invert}
_SKIP = {tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.INDENT,
         tokenize.DEDENT, tokenize.ENCODING}


class FlatParseError(Exception):
    """The text is not in the subset; the message is meant for the model."""


class _Parser:
    def __init__(self, tokens: list[tokenize.TokenInfo], max_depth: int,
                 too_deep: Callable[[], Exception]) -> None:
        self.tokens = tokens
        self.at = 0
        self.depth = 0
        self.max_depth = max_depth
        self.too_deep = too_deep

    # -- token helpers ---------------------------------------------------------
    def peek(self) -> str:
        token = self.tokens[self.at]
        return "" if token.type == tokenize.ENDMARKER else token.string

    def take(self) -> tokenize.TokenInfo:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect(self, text: str) -> None:
        if self.peek() != text:
            raise FlatParseError(f"{_ERROR}: expected {text!r}")
        self.at += 1

    def nest(self) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise self.too_deep()

    # -- grammar, loosest first ------------------------------------------------
    def expression(self) -> ast.expr:
        self.nest()
        try:
            return self.or_test()
        finally:
            self.depth -= 1

    def or_test(self) -> ast.expr:
        values = [self.and_test()]
        while self.peek() == "or":
            self.at += 1
            values.append(self.and_test())
        return values[0] if len(values) == 1 else ast.BoolOp(ast.Or(), values)

    def and_test(self) -> ast.expr:
        values = [self.not_test()]
        while self.peek() == "and":
            self.at += 1
            values.append(self.not_test())
        return values[0] if len(values) == 1 else ast.BoolOp(ast.And(), values)

    def not_test(self) -> ast.expr:
        count = 0
        while self.peek() == "not":
            self.at += 1
            count += 1
            self.nest()
        node = self.comparison()
        for _ in range(count):
            node = ast.UnaryOp(ast.Not(), node)
        self.depth -= count
        return node

    def comparison(self) -> ast.expr:
        left = self.binary(0)
        ops: list[ast.cmpop] = []
        comparators: list[ast.expr] = []
        while self.peek() in _COMPARE or self.peek() in ("in", "is"):
            word = self.take().string
            if word in ("in", "is"):
                raise FlatParseError(f"{_ERROR}: '{word}' is not supported")
            ops.append(_COMPARE[word]())
            comparators.append(self.binary(0))
        return ast.Compare(left, ops, comparators) if ops else left

    def binary(self, level: int) -> ast.expr:
        """One precedence level: a left-associative chain built in a loop."""
        if level == len(_LEVELS):
            return self.unary()
        operators = _LEVELS[level]
        node = self.binary(level + 1)
        while self.peek() in operators:
            op = operators[self.take().string]()
            node = ast.BinOp(node, op, self.binary(level + 1))
        return node

    def unary(self) -> ast.expr:
        ops: list[ast.unaryop] = []
        while self.peek() in _UNARY:
            ops.append(_UNARY[self.take().string]())
            self.nest()
        node = self.power()
        for op in reversed(ops):
            node = ast.UnaryOp(op, node)
        self.depth -= len(ops)
        return node

    def power(self) -> ast.expr:
        base = self.primary()
        if self.peek() != "**":
            return base
        self.at += 1
        self.nest()  # right-associative: the exponent nests
        try:
            return ast.BinOp(base, ast.Pow(), self.unary())
        finally:
            self.depth -= 1

    def primary(self) -> ast.expr:
        node = self.atom()
        while self.peek() in ("(", ".", "["):
            if self.peek() == ".":
                raise FlatParseError("attribute access not allowed in a calculation")
            if self.peek() == "[":
                raise FlatParseError("indexing not allowed in a calculation")
            self.at += 1
            args: list[ast.expr] = []
            while self.peek() != ")":
                args.append(self.expression())
                if self.peek() != ",":
                    break
                self.at += 1
            self.expect(")")
            node = ast.Call(node, args, [])
        return node

    def atom(self) -> ast.expr:
        token = self.take()
        if token.type == tokenize.NUMBER:
            return ast.Constant(ast.literal_eval(token.string))
        if token.type == tokenize.NAME and token.string not in ("and", "or", "not", "in",
                                                                  "is", "lambda", "if"):
            return ast.Name(token.string, ast.Load())
        if token.string == "(":
            node = self.expression()
            self.expect(")")
            return node
        if token.type == tokenize.ENDMARKER:
            raise FlatParseError(f"{_ERROR}: the expression ends too early")
        if token.type == tokenize.STRING:
            raise FlatParseError("strings are not allowed in a calculation")
        raise FlatParseError(f"{_ERROR}: unexpected {token.string[:20]!r}")


def parse_flat(text: str, max_depth: int, too_deep: Callable[[], Exception]) -> ast.Expression:
    """``text`` as an ``ast.Expression``; ``too_deep()`` is raised past
    ``max_depth`` levels of real nesting, FlatParseError for anything else
    this parser does not take."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                  if t.type not in _SKIP]
    except (tokenize.TokenError, SyntaxError) as exc:
        raise FlatParseError(f"{_ERROR}: {exc.args[0] if exc.args else exc}") from None
    parser = _Parser(tokens, max_depth, too_deep)
    try:
        body = parser.expression()
    except RecursionError:  # nesting within max_depth can still use many frames
        raise too_deep() from None
    if parser.peek():
        raise FlatParseError(f"{_ERROR}: unexpected {parser.peek()[:20]!r}")
    return ast.Expression(body)
