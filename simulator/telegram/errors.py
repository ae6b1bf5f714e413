"""The error a Bot API method answers with, carried as an exception through the fake's layers."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An ``{"ok": false, ...}`` answer: HTTP status = ``error_code``, as real Telegram does."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """The JSON body pyTelegramBotAPI turns into ``ApiTelegramException.result_json``."""
        answer: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            answer["parameters"] = self.parameters
        return answer


def too_many_requests(retry_after: int) -> ApiError:
    """Telegram's flood-control answer; the library does not wait by itself, the bot must."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
