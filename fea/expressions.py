"""Safe arithmetic expressions of x and y (temperature fields in model files).

The text is parsed with :mod:`ast` and only numbers, the names ``x`` and ``y``, ``+ - * / **``,
parentheses and the functions sqrt, exp, log, sin, cos are accepted. Nothing is ever passed to
``eval``. Arithmetic is numpy's, constants included: an overflow (``10 ** 10 ** 10``), a division
by zero or the root of a negative number gives inf or nan, refused as not finite.
"""
from __future__ import annotations

import ast
import operator

import numpy as np

from .errors import InputError

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCTIONS = {"sqrt": np.sqrt, "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos}
_VARIABLES = ("x", "y")
_MAX_LENGTH = 1000
_MAX_DEPTH = 200    # nesting of operations (a sum of n terms nests n - 1 deep); deeper could
                    # exhaust Python's recursion limit when checked and evaluated


def compile_expression(text: str, what: str = "expression"):
    """Return a function f(x, y) -> ndarray for a safe expression, or raise InputError."""
    if not isinstance(text, str):
        raise InputError(f"{what}: expected a number or an expression string, got {type(text).__name__}")
    if len(text) > _MAX_LENGTH:
        raise InputError(f"{what}: expression longer than {_MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, RecursionError, MemoryError):   # the latter two: nesting too deep
        raise InputError(f"{what}: cannot parse '{text}' (allowed: numbers, x, y, + - * / **, "
                         f"{', '.join(_FUNCTIONS)}, nested at most {_MAX_DEPTH} deep)") from None
    _check(tree.body, text, what)

    def evaluate(x, y):
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        with np.errstate(all="ignore"):
            value = _evaluate(tree.body, {"x": x, "y": y})
        value = np.broadcast_to(np.asarray(value, dtype=float), np.broadcast(x, y).shape)
        if not np.all(np.isfinite(value)):
            raise InputError(f"{what}: '{text}' is not finite everywhere on the mesh (an overflow, a "
                             f"division by zero, or sqrt or log of a negative number)")
        return value

    return evaluate


def _check(node, text: str, what: str, depth: int = 0) -> None:
    def unsafe(detail: str):
        return InputError(f"{what}: '{text}' is not allowed ({detail}); allowed: numbers, x, y, "
                          f"+ - * / **, {', '.join(_FUNCTIONS)}")

    if depth > _MAX_DEPTH:
        raise unsafe(f"nested more than {_MAX_DEPTH} deep")
    depth += 1
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise unsafe(f"constant {node.value!r}")
    elif isinstance(node, ast.Name):
        if node.id not in _VARIABLES:
            raise unsafe(f"unknown name '{node.id}'")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise unsafe(f"operator {type(node.op).__name__}")
        _check(node.left, text, what, depth)
        _check(node.right, text, what, depth)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise unsafe(f"operator {type(node.op).__name__}")
        _check(node.operand, text, what, depth)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            raise unsafe("call of an unknown function")
        if len(node.args) != 1 or node.keywords:
            raise unsafe(f"{node.func.id} takes exactly one argument")
        _check(node.args[0], text, what, depth)
    else:
        raise unsafe(type(node).__name__)


def _evaluate(node, variables):
    if isinstance(node, ast.Constant):
        # numpy scalars, not Python floats: 10.0 ** 1e10 is inf (refused as not finite), where
        # Python's float arithmetic raises OverflowError or ZeroDivisionError
        try:
            return np.float64(node.value)
        except OverflowError:   # an integer literal beyond float range
            return np.float64(np.inf)
    if isinstance(node, ast.Name):
        return variables[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, variables), _evaluate(node.right, variables))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, variables))
    return _FUNCTIONS[node.func.id](_evaluate(node.args[0], variables))
