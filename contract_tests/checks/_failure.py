from __future__ import annotations

__all__ = ["ConformanceFailure"]


class ConformanceFailure(AssertionError):
    """Raised by our schemathesis checks: an `AssertionError` (the public contract) that keeps a stable title."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(f"{title}\n\n{message}")
        self.title = title
        self.message = message
