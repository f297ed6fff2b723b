"""The calculator tool: exact arithmetic on a syntax tree, bounded, never eval."""

from __future__ import annotations

import ast
import asyncio
import itertools
import math
from pathlib import Path

import pytest

from app.core.tools import ToolContext, execute_tool
from app.core.tools import calculator as calculator_module
from app.core.tools.calculator import (
    CONSTANTS,
    FUNCTION_NAMES,
    CalculatorError,
    Limits,
    calculate,
    calculator_tool,
    evaluate,
    format_result,
)


def refused(expression: str, limits: Limits | None = None) -> str:
    with pytest.raises(CalculatorError) as info:
        evaluate(expression, limits)
    return str(info.value)


@pytest.mark.parametrize(("expression", "expected"), [
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("7 / 2", 3.5),
    ("7 // 2", 3),
    ("-7 // 2", -4),
    ("7 % 3", 1),
    ("2 ** 10", 1024),
    ("2 ** -1", 0.5),
    ("-3 ** 2", -9),
    ("+5 - -2", 7),
    ("1_000 * 3", 3000),
    ("2.5e3 + 1", 2501.0),
    ("1 < 2 <= 2 != 3", True),
    ("3 > 4", False),
    ("1 < 2 and not 3 < 2", True),
    ("0 or 5 == 5", True),
])
def test_arithmetic_matches_python(expression: str, expected: object) -> None:
    value = evaluate(expression)
    assert value == expected and type(value) is type(expected)


def test_integers_are_exact() -> None:
    assert calculate("2 ** 100") == str(1 << 100)
    assert calculate("factorial(30)") == str(math.factorial(30))
    assert calculate("comb(60, 30)") == str(math.comb(60, 30))
    assert calculate("12345678901234567890 * 98765432109876543210") == str(
        12345678901234567890 * 98765432109876543210)


@pytest.mark.parametrize(("expression", "expected"), [
    ("sqrt(16)", 4.0),
    ("log(e)", 1.0),
    ("log(8, 2)", 3.0),
    ("log10(1000)", 3.0),
    ("log2(1024)", 10.0),
    ("exp(0)", 1.0),
    ("cos(0) + sin(0)", 1.0),
    ("degrees(pi)", 180.0),
    ("radians(180) == pi", True),
    ("gcd(12, 18)", 6),
    ("lcm(4, 6)", 12),
    ("floor(2.7) + ceil(2.1)", 5),
    ("abs(-3)", 3),
    ("round(2.567, 2)", 2.57),
    ("round(1234, -2)", 1200),
    ("min(3, 1, 2) + max(3, 1, 2)", 4),
    ("hypot(3, 4)", 5.0),
    ("tau / 2 == pi", True),
    ("isqrt(99)", 9),
])
def test_math_functions_and_constants(expression: str, expected: object) -> None:
    assert evaluate(expression) == expected


def test_every_advertised_name_is_usable() -> None:
    assert set(CONSTANTS) == {"pi", "e", "tau", "inf"}
    for name in CONSTANTS:
        assert evaluate(name) == CONSTANTS[name]
    samples = {"atan2": "(1, 1)", "gcd": "(4, 6)", "lcm": "(4, 6)", "hypot": "(3, 4)",
               "comb": "(5, 2)", "perm": "(5, 2)", "min": "(1, 2)", "max": "(1, 2)",
               "log": "(2)", "round": "(0.5)", "isqrt": "(9)", "factorial": "(5)",
               "acos": "(0.5)", "asin": "(0.5)"}
    for name in FUNCTION_NAMES:
        evaluate(f"{name}{samples.get(name, '(0.5)')}")  # must not be refused


@pytest.mark.parametrize(("value", "expected"), [
    (0.1 + 0.2, "0.3"),
    (1 / 3, "0.333333333333333"),
    (2.0, "2.0"),
    (1e-7, "1e-07"),
    (1e20, "1e+20"),
    (math.inf, "inf"),
    (-0.5, "-0.5"),
    (10**30, str(10**30)),
    (True, "True"),
])
def test_results_are_formatted_for_reading(value: object, expected: str) -> None:
    assert format_result(value) == expected


# -- bounds ---------------------------------------------------------------------


@pytest.mark.parametrize("expression", [
    "9**9**9", "10**10**10", "2**10001", "(-3)**100000", "10**(10**5)",
    "2**(2**100)", "7**7**7**7",
])
def test_huge_powers_are_refused_before_computing(expression: str) -> None:
    assert refused(expression).startswith("result too large")


def test_the_integer_size_limit_is_the_boundary() -> None:
    limits = Limits(max_bits=64)
    assert evaluate("2**63", limits) == 2**63
    assert refused("2**64", limits).startswith("result too large")
    # Any other way of growing past the limit is refused too.
    assert refused("2**40 * 2**40", limits).startswith("result too large")
    assert refused("2**63 + 2**63", limits).startswith("result too large")
    assert refused("lcm(2**40 + 1, 2**40 - 1)", limits).startswith("result too large")


def test_factorial_and_combinatorics_are_bounded() -> None:
    assert evaluate("factorial(1000)") == math.factorial(1000)
    assert "factorial is limited to n <= 1000" in refused("factorial(1001)")
    assert "factorial is limited" in refused("factorial(10**9)")
    assert "comb is limited" in refused("comb(10**6, 500000)")
    assert "perm is limited" in refused("perm(10**6, 10)")


def test_round_digits_are_bounded() -> None:
    # round(int, -n) would compute 10**n internally.
    assert "at most" in refused("round(5, -10**9)")


@pytest.mark.parametrize(("expression", "expected"), [
    ("10**400.0", "result too large"),
    ("exp(1000)", "result too large"),
    ("10**3000 / 3", "result too large"),
    ("10**400 * 1.5", "result too large"),
    ("floor(inf)", "result too large"),
])
def test_float_overflow_is_reported(expression: str, expected: str) -> None:
    assert refused(expression).startswith(expected)


def test_long_expressions_are_refused() -> None:
    limits = Limits(max_length=20)
    assert evaluate("1+" * 9 + "1", limits) == 10
    assert "too long" in refused("1+" * 10 + "1", limits)
    assert "too long" in refused("1" * 200_001)


@pytest.mark.parametrize("expression", [
    "-" * 500 + "1",
    "not " * 240 + "1",
    "1+(" * 150 + "1" + ")" * 150,
    "2**" * 300 + "2",
    "+".join(["1"] * 10_000) + "+" + "-" * 500 + "1",  # a long chain, then deep
    "sqrt(" * 150 + "4" + ")" * 150,
])
def test_deep_nesting_is_refused_without_crashing(expression: str) -> None:
    assert "too deeply nested" in refused(expression)


def test_the_parsers_own_limits_give_clear_messages() -> None:
    # Python's parser fails by itself on extreme nesting (MemoryError or
    # RecursionError, depending on the form); both become a clear refusal.
    huge = Limits(max_length=200_000)
    assert "too deeply nested" in refused("-" * 100_000 + "1", huge)
    assert "too many nested parentheses" in refused("(" * 300 + "1" + ")" * 300, huge)


@pytest.mark.parametrize("terms", [101, 500, 2_000, 10_000])
def test_a_long_flat_sum_is_not_nesting(terms: int) -> None:
    # Issue 15 item 12: more than ~100 terms were refused as "too deeply nested".
    assert evaluate("+".join(["1"] * terms)) == terms
    assert evaluate(" + ".join(str(n) for n in range(terms))) == sum(range(terms))
    assert evaluate("-".join(["2"] * terms)) == 2 - 2 * (terms - 1)
    assert evaluate("*".join(["1.5"] * terms) + " > 0") is True


def test_long_chains_keep_python_precedence() -> None:
    # Past ~3,000 terms Python's own parser gives up; the fallback parser
    # must agree with Python on precedence and associativity.
    body = " + ".join(["2 * 3 ** 2 - 7 // 2 % 5 / 4"] * 4_000)
    expected = 4_000 * (2 * 3 ** 2 - 7 // 2 % 5 / 4)
    assert evaluate(body) == pytest.approx(expected)
    assert evaluate("+".join(["1"] * 5_000) + " == 5000 and not 1 > 2 or 0") is True
    assert evaluate("-".join(["2"] * 5_000) + " - 2 ** -1 ** 2") == 2 - 2 * 4_999 - 0.5
    assert evaluate("+".join(["sqrt(4)"] * 5_000) + " + max(1, (2 + 3) * 2)") == 10_010.0
    assert "'^' is not supported" in refused("+".join(["1"] * 5_000) + " ^ 2")
    assert "attribute access" in refused("+".join(["1"] * 5_000) + " + math.pi")
    assert "strings are not allowed" in refused("+".join(["1"] * 5_000) + " + 'a'")
    assert "unknown name" in refused("+".join(["1"] * 5_000) + " + os")


def test_node_count_is_bounded() -> None:
    limits = Limits(max_nodes=50, max_depth=1000)
    assert "too complex" in refused("+".join(["1"] * 40), limits)


def test_evaluation_stops_at_the_time_limit() -> None:
    ticks = itertools.count()

    def clock() -> float:  # every node visit takes a simulated second
        return float(next(ticks))

    limits = Limits(time_limit=5)
    assert evaluate("1+1", limits, clock=clock) == 2
    assert "took too long (limit 5 s)" in str(
        pytest.raises(CalculatorError, evaluate, "1+2+3+4+5+6", limits, clock=clock).value)


# -- refusals -------------------------------------------------------------------


@pytest.mark.parametrize(("expression", "expected"), [
    ("1/0", "division by zero"),
    ("5 // 0", "division by zero"),
    ("5 % 0", "division by zero"),
    ("0 ** -1", "division by zero"),
    ("x + 1", "unknown name 'x' (allowed: constants e, inf, pi, tau; functions abs,"),
    ("__import__('os')", "unknown function '__import__'"),
    ("eval('1')", "unknown function 'eval'"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("math.sqrt(4)", "only the calculator's functions can be called"),
    ("().__class__", "attribute access not allowed"),
    ("pi.real", "attribute access not allowed"),
    ("(lambda: 1)()", "only the calculator's functions can be called"),
    ("(lambda: 1)", "lambda not allowed"),
    ("[i for i in (1, 2)]", "comprehensions not allowed"),
    ("sum(i for i in (1, 2))", "unknown function 'sum'"),
    ("max(i for i in (1, 2))", "comprehensions not allowed"),
    ("'a' * 3", "strings are not allowed"),
    ("b'x'", "strings are not allowed"),
    ("f'{1}'", "strings not allowed"),
    ("[1, 2]", "lists not allowed"),
    ("(1, 2)", "tuples not allowed"),
    ("(y := 2)", "assignment not allowed"),
    ("1 if 1 else 2", "conditional expressions not allowed"),
    ("2j", "complex numbers are not supported"),
    ("(-8) ** (1/3)", "complex number"),
    ("2 ^ 3", "use ** for powers"),
    ("1 << 3", "'<<' is not supported"),
    ("~1", "'~' is not supported"),
    ("None", "None is not a number"),
    ("True + 1", "True is not a number"),
    ("1 in 2", "only ==, !=, <, <=, >, >= comparisons"),
    ("sqrt", "'sqrt' is a function; call it like sqrt("),
    ("pi()", "'pi' is a constant, not a function"),
    ("round(2.5, ndigits=1)", "takes no keyword arguments"),
    ("sqrt(-1)", "sqrt(): math domain error"),
    ("sqrt(1, 2)", "sqrt():"),
    ("import os", "invalid expression"),
    ("x = 1", "invalid expression"),
    ("1 +", "invalid expression"),
    ("   ", "the expression is empty"),
    ("1\x00", "invalid expression"),
])
def test_refusals_explain_themselves(expression: str, expected: str) -> None:
    assert expected in refused(expression)


def test_no_builtin_evaluation_is_used() -> None:
    source = Path(calculator_module.__file__).read_text(encoding="utf-8")
    called = {node.func.id for node in ast.walk(ast.parse(source))
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__"}


# -- as a tool ------------------------------------------------------------------


def test_tool_schema_and_policy() -> None:
    calc = calculator_tool()
    assert calc.name == "calculator" and calc.policy == "auto"
    assert calc.parameters["required"] == ["expression"]
    assert "sqrt" in calc.description


def test_tool_results_and_errors_reach_the_model(tmp_path: Path) -> None:
    calc = calculator_tool()
    context = ToolContext(workspace=tmp_path)

    async def scenario() -> list:
        return [await execute_tool(calc, {"expression": text}, context)
                for text in ("sqrt(2) * sqrt(2)", "9**9**9", "1/0")]

    ok, huge, zero = asyncio.run(scenario())
    assert (ok.status, ok.content) == ("ok", "2.0")
    assert huge.status == "error" and "result too large" in huge.content
    assert zero.status == "error" and "division by zero" in zero.content
