"""The one mapping at the web edge: RFC 9457 problem responses with stable codes and bilingual
messages. A :class:`~shared.errors.DomainError` becomes a problem by its kind (:data:`STATUS_OF`);
request validation, authentication and routing errors become problems here too."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import DomainError, ErrorKind
from shared.findings import Finding
from shared.validation_zh import zh_message

__all__ = ["STATUS_OF", "Finding", "Problem", "ProblemBody", "install_error_handlers", "problem_response"]

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class ProblemBody(BaseModel):
    """The error body of every 4xx/5xx answer (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[Finding] = []


_TITLES = {
    400: ("Bad request", "请求无效"),
    401: ("Unauthorized", "未认证"),
    403: ("Forbidden", "无权限"),
    404: ("Not found", "未找到"),
    405: ("Method not allowed", "方法不允许"),
    409: ("Conflict", "状态冲突"),
    413: ("Content too large", "请求体过大"),
    422: ("Unprocessable content", "输入无效"),
    500: ("Internal error", "内部错误"),
    503: ("Service unavailable", "服务不可用"),
}


# The status of each kind of domain error. A concurrent change is a 409 the caller may retry; an
# inconsistent event never reaches the web edge, but if it did it is a conflict with the state.
STATUS_OF: dict[ErrorKind, int] = {
    ErrorKind.not_found: 404,
    ErrorKind.invalid: 422,
    ErrorKind.conflict: 409,
    ErrorKind.forbidden: 403,
    ErrorKind.concurrent: 409,
    ErrorKind.inconsistent: 409,
}


class Problem(Exception):
    """An HTTP problem raised by web-edge code (authentication, middleware, ops endpoints). The
    domain and service layers raise :class:`~shared.errors.DomainError` instead."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        message_zh: str,
        *,
        errors: list[Finding] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.detail = message
        self.errors = (
            errors if errors is not None else [Finding(code=code, message=message, message_zh=message_zh, field=field)]
        )

    @classmethod
    def from_error(cls, error: DomainError) -> Problem:
        return cls(STATUS_OF[error.kind], error.code, error.message, error.message_zh, errors=error.findings)

    def body(self) -> dict[str, Any]:
        title = _TITLES.get(self.status, ("Error", "错误"))[0]
        return ProblemBody(
            type=f"https://ccer-sim.example/problems/{self.code.lower().replace('_', '-')}",
            title=title,
            status=self.status,
            detail=self.detail,
            code=self.code,
            errors=self.errors,
        ).model_dump()


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem.body(), status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def validation_findings(errors: list[dict[str, Any]]) -> list[Finding]:
    findings = []
    for err in errors:
        kind = err.get("type", "value_error")
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        findings.append(
            Finding(
                code=f"INVALID_{kind.upper()}",
                message=msg,
                message_zh=zh_message(err),
                field=_field_of(tuple(err.get("loc", ()))),
            )
        )
    return findings


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return problem_response(Problem.from_error(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        findings = validation_findings(list(exc.errors()))
        n = len(findings)
        return problem_response(
            Problem(422, "VALIDATION_FAILED", f"{n} problem(s) in the request", f"请求中有 {n} 处错误", errors=findings)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's "error parsing the body": not UTF-8, or JSON nested deeper than the parser takes.
            finding = Finding(
                code="BODY_NOT_JSON",
                message="the body is not JSON in UTF-8 (or is nested too deeply)",
                message_zh="请求体不是 UTF-8 编码的 JSON（或嵌套过深）",
                field="body",
            )
            return problem_response(
                Problem(422, "VALIDATION_FAILED", "1 problem(s) in the request", "请求中有 1 处错误", errors=[finding])
            )
        en, zh = _TITLES.get(exc.status_code, ("Error", "错误"))
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 401: "UNAUTHORIZED", 403: "FORBIDDEN"}.get(
            exc.status_code, "HTTP_ERROR"
        )
        detail = exc.detail if isinstance(exc.detail, str) else en
        return problem_response(Problem(exc.status_code, code, detail, zh), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            Problem(500, "INTERNAL_ERROR", "internal error; nothing was changed", "内部错误，未做任何更改")
        )
