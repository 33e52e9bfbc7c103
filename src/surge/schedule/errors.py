"""The schedule's errors: bad load options (before the run) and bad load shapes (during it)."""

from __future__ import annotations


class PlanError(ValueError):
    """An impossible load profile (names the option at fault). Raised before any traffic.

    `option` is the option at fault as a config key ("stages"), when one is; `detail` the
    message without the flag's name, and `item` the position (from 1) of the bad item in a
    list-like option, so that a caller whose value came from a file can point at its line."""

    def __init__(
        self,
        message: str,
        *,
        option: str | None = None,
        detail: str | None = None,
        item: int | None = None,
    ) -> None:
        super().__init__(message)
        self.option = option
        self.detail = detail if detail is not None else message
        self.item = item


class ShapeError(Exception):
    """A load shape's `tick` failed or returned a bad target *during* the run.

    A distinct type (not a PlanError): it surfaces while the engine runs, which catches it,
    stops the run and reports the message (it names the shape class and the elapsed second).
    """
