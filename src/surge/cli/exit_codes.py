"""Exit codes (defined in `surge.exit_codes`)."""

from surge.exit_codes import ExitCode, for_signal

__all__ = ["ExitCode", "for_signal"]
