"""The one error envelope: ``{"error": {"code", "message", "details",
"remediation"}}`` under /api and /health; OpenAI's ``{"error": {"message",
"type", "code"}}`` under /v1, since OpenAI clients read that shape.

Messages are ours, never a traceback; provider text in them is bounded.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.store import DuplicateNameError, NotFoundError

log = logging.getLogger(__name__)

#: Longest message text an error carries (provider errors can be long).
MAX_MESSAGE = 500

#: OpenAI's error ``type`` for each status (clients map these to exceptions).
_OPENAI_TYPES = {400: "invalid_request_error", 401: "authentication_error",
                 403: "permission_error", 404: "not_found_error", 413: "invalid_request_error",
                 421: "invalid_request_error", 422: "invalid_request_error",
                 429: "rate_limit_error", 502: "api_error", 500: "api_error"}


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None
    remediation: str | None = None


class ErrorReply(BaseModel):
    """The envelope of every error under /api and /health."""

    error: ErrorBody


class OpenAIErrorBody(BaseModel):
    message: str
    type: str
    code: str | None = None
    param: str | None = None


class OpenAIErrorReply(BaseModel):
    """The error shape under /v1 (OpenAI's)."""

    error: OpenAIErrorBody


def document_errors(schema: dict) -> dict:
    """The OpenAPI document with every 4xx/5xx answer described as the
    envelope it really is (FastAPI describes 422 as its own shape): the
    schema test (tests/api/test_api_schema.py) holds the server to it."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorBody, ErrorReply, OpenAIErrorBody, OpenAIErrorReply):
        components[model.__name__] = model.model_json_schema(
            ref_template="#/components/schemas/{model}")
    for path, operations in schema.get("paths", {}).items():
        name = "OpenAIErrorReply" if path.startswith("/v1") else "ErrorReply"
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if status[:1] in ("4", "5"):
                    response["content"] = {"application/json": {
                        "schema": {"$ref": f"#/components/schemas/{name}"}}}
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    return schema


class ApiError(Exception):
    """A failure to answer with ``status`` and the envelope."""

    def __init__(self, status: int, code: str, message: str, *, details: Any = None,
                 remediation: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.remediation = remediation
        self.headers = headers or {}


def error_body(path: str, status: int, code: str, message: str, details: Any = None,
               remediation: str | None = None) -> dict:
    message = message[:MAX_MESSAGE]
    if path.startswith("/v1"):
        return {"error": {"message": message, "type": _OPENAI_TYPES.get(status, "api_error"),
                          "code": code, "param": None}}
    return {"error": {"code": code, "message": message, "details": details,
                      "remediation": remediation}}


def error_response(path: str, error: ApiError) -> JSONResponse:
    return JSONResponse(error_body(path, error.status, error.code, error.message,
                                   error.details, error.remediation),
                        status_code=error.status, headers=error.headers)


def not_found(what: str, key: object) -> ApiError:
    return ApiError(404, "not_found", f"no {what} with id {key}",
                    remediation=f"list the {what}s to see the ids that exist")


def _validation_details(exc: RequestValidationError) -> list[dict]:
    """Where and what, without echoing the input back."""
    return [{"loc": [str(part) for part in error.get("loc", ())],
             "msg": str(error.get("msg", ""))[:200], "type": str(error.get("type", ""))}
            for error in exc.errors()[:20]]


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request.url.path, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request.url.path, ApiError(
            422, "validation_error", "the request is not valid",
            details=_validation_details(exc),
            remediation="see the API's schema at /docs"))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(exc.status_code, "http_error")
        return error_response(request.url.path, ApiError(
            exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {})))

    @app.exception_handler(NotFoundError)
    async def _missing(request: Request, exc: NotFoundError) -> JSONResponse:
        return error_response(request.url.path, ApiError(404, "not_found", str(exc)))

    @app.exception_handler(DuplicateNameError)
    async def _duplicate(request: Request, exc: DuplicateNameError) -> JSONResponse:
        return error_response(request.url.path, ApiError(409, "conflict", str(exc)))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("API request %s %s failed", request.method, request.url.path)
        return error_response(request.url.path, ApiError(
            500, "internal_error", "the server failed to answer this request",
            remediation="see AgentDesk's log file"))
