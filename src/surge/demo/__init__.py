"""surge.demo stage."""
