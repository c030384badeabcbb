"""Business operations: one function per verb; the only layer that commits."""
