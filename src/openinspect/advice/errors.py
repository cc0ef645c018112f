"""The assistant's one error: a description or size it cannot use, with what to give instead."""

from __future__ import annotations

from openinspect.errors import OpenInspectError


class AdviceError(OpenInspectError):
    """The description or the sizes cannot be advised on; the message says what to give instead."""
