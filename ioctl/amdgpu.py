"""hwrt.ioctl.amdgpu: the amdgpu.txt interface table as module attributes (see hwrt.ioctl.abi)."""
from hwrt.ioctl.abi import export
iface = export(__name__, "amdgpu")
