"""The schedule's errors: bad load options (before the run) and bad load shapes (during it)."""

from __future__ import annotations


class PlanError(ValueError):
    """An impossible load profile (names the option at fault). Raised before any traffic."""


class ShapeError(Exception):
    """A load shape's `tick` failed or returned a bad target *during* the run.

    A distinct type (not a PlanError): it surfaces while the engine runs, which catches it,
    stops the run and reports the message (it names the shape class and the elapsed second).
    """
