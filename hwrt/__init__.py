"""hwrt: GPU driver-level bring-up and runtime toolkit."""
__version__ = "0.1.0"
