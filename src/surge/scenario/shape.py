"""Load shapes written in Python, for shapes that stages cannot express."""

from __future__ import annotations

import abc
from typing import ClassVar, Literal


class LoadShape(abc.ABC):
    """Subclass in a scenario script and define `tick`; surge calls it about once a second.

    `tick(elapsed_s)` returns the target for that moment — the number of users (`kind = "users"`,
    the default) or the arrival rate per second (`kind = "rate"`) — or None to end the run.

        class Waves(surge.LoadShape):
            kind = "rate"

            def tick(self, elapsed_s: float) -> float | None:
                if elapsed_s >= 60:
                    return None
                return 50 + 40 * math.sin(elapsed_s / 10)
    """

    kind: ClassVar[Literal["users", "rate"]] = "users"

    @abc.abstractmethod
    def tick(self, elapsed_s: float) -> float | None:
        """The target at `elapsed_s` seconds into the run, or None to stop."""
