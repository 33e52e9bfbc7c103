"""The exceptions a locustfile imports from `locust.exception`, with Locust's meanings."""

from __future__ import annotations


class LocustError(Exception):
    """Base of Locust's own errors."""


class ResponseError(Exception):
    """A response marked as failed (`response.failure(...)`, a bad status)."""


class CatchResponseError(Exception):
    """What `response.failure("message")` records: the message becomes the failure."""


class InterruptTaskSet(Exception):
    """Raised by `TaskSet.interrupt()`: leave the task set, back to its parent."""

    def __init__(self, reschedule: bool = True) -> None:
        super().__init__(reschedule)
        self.reschedule = reschedule


class StopUser(Exception):
    """Raised in a task: this user stops (its on_stop runs); the others go on."""


class StopTest(Exception):
    """Raised in a task: the whole run stops."""


class RescheduleTask(Exception):
    """Raised in a task: end it now; the next task starts after the wait."""


class RescheduleTaskImmediately(Exception):
    """Raised in a task: end it now; the next task starts without waiting."""


class MissingWaitTimeError(LocustError):
    """Locust's name, kept for imports; surge's users default to no wait, as Locust 2 does."""


class LocustUnsupportedError(Exception):
    """A Locust construct surge does not run. Raised when the locustfile loads (the loader
    names the line) or, for what only a task reaches, when the task runs."""

    def __init__(self, construct: str, advice: str = "") -> None:
        message = f"{construct} is not supported by surge's locustfile runner"
        if advice:
            message += f": {advice}"
        super().__init__(message)
        self.construct = construct
