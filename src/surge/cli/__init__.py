"""surge.cli stage."""
