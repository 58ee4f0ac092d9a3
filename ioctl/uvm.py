"""hwrt.ioctl.uvm: the uvm.txt interface table as module attributes (see hwrt.ioctl.abi)."""
from hwrt.ioctl.abi import export
iface = export(__name__, "uvm")
