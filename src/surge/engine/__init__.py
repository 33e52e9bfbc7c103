"""surge.engine stage."""
