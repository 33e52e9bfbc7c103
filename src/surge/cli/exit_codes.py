"""Exit codes (defined with the results' verdict in `surge.metrics.verdict`)."""

from surge.metrics.verdict import ExitCode, for_signal

__all__ = ["ExitCode", "for_signal"]
