"""hwrt.ioctl.i915: the i915.txt interface table as module attributes (see hwrt.ioctl.abi)."""
from hwrt.ioctl.abi import export
iface = export(__name__, "i915")
