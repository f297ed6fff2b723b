"""Pydantic validation errors in words a person can act on (CLI, dialogs, imports)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ValidationError


def describe_validation_error(exc: ValidationError, model: type[BaseModel],
                              options: Mapping[str, str] | None = None) -> str:
    """One line saying what is wrong, naming the option and its allowed range.

    The range comes from the model's own field constraints, so the message can
    never disagree with what the model accepts.
    """
    options = options or {}
    parts = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        label = options.get(field, field or "value")
        bounds = _bounds(model, field)
        if bounds and error["type"] in _RANGE_ERRORS:
            low, high = bounds
            allowed = (f"between {low} and {high}" if high is not None
                       else f"at least {low}")
            parts.append(f"invalid {label} {error['input']!r}: must be {allowed}")
        else:
            where = ".".join(str(part) for part in error["loc"][1:])
            detail = f" ({where})" if where else ""
            parts.append(f"invalid {label}{detail}: {error['msg']}")
    return "; ".join(parts)


_RANGE_ERRORS = {"greater_than_equal", "less_than_equal", "greater_than", "less_than",
                 "finite_number"}


def _bounds(model: type[BaseModel], field: str) -> tuple[object, object | None] | None:
    info = model.model_fields.get(field)
    if info is None:
        return None
    low = high = None
    for item in info.metadata:
        low = getattr(item, "ge", getattr(item, "gt", low))
        high = getattr(item, "le", getattr(item, "lt", high))
    return None if low is None else (low, high)
