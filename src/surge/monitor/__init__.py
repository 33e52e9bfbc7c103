"""surge.monitor: generator health (saturation verdicts) and, later, host and target resources."""
