"""Checks on a multipart body as a whole, which FastAPI's per-field parameters do not make.

A parameter ``image: UploadFile | None`` takes the last part named ``image`` and ignores every other part,
so a capture sent as ``file`` would silently become "no capture". These checks refuse that instead.
"""

from __future__ import annotations

from starlette.datastructures import FormData, Headers, UploadFile

from openinspect.server.errors import ApiError, ErrorType


def sent_body(headers: Headers) -> bool:
    """Whether a request carries a body: a non-zero ``Content-Length``, or a chunked one."""
    return "transfer-encoding" in headers or headers.get("content-length", "0").strip() not in ("", "0")


def sole_file(form: FormData, field: str, what: str) -> UploadFile:
    """The one part of a multipart body, which must be a file named ``field``.

    Args:
        form: the parsed body (empty when it was not ``multipart/form-data``).
        field: the part's name.
        what: what the file is, for the message (``"the capture"``).

    Raises:
        ApiError: 422 ``invalid_request`` for another part, a second one, or none; the message names the field
            and the parts that came.
    """
    got = [name if isinstance(value, UploadFile) else f"{name} (not a file)" for name, value in form.multi_items()]
    part = form.get(field)
    if got != [field] or not isinstance(part, UploadFile):
        sent = ", ".join(got) if got else "no multipart/form-data part"
        raise ApiError(422, ErrorType.INVALID_REQUEST, f"send {what} as the multipart field `{field}` (got: {sent})")
    return part
