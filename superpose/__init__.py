"""superpose: derive, verify and report error bounds for computation in superposition."""
__version__ = "0.2.0"
