"""surge.thresholds: SLA thresholds — parsed before the run, evaluated on Snapshots and the RunResult."""
