"""One exception hierarchy for all of hwrt. The CLI prints `hwrt: <what>: <where/detail>` and exits with `exit_code`."""

class HwrtError(Exception):
  exit_code = 1        # 1: a failure was found (GPU fault, timeout, check failed)
  what = "error"
  def __init__(self, msg: str = "", **info):
    super().__init__(msg)
    self.info = info   # structured fields (xid, address, errno, ...) for --json and the stress journal
  def line(self) -> str: return f"{self.what}: {self}"

class BadInput(HwrtError):            exit_code, what = 2, "bad input"
class BadArgument(BadInput):          what = "bad argument"
class InvalidKernelBinary(BadInput):  what = "invalid kernel binary"
class AssemblerError(BadInput):       what = "assembler error"

class DriverNotPresent(HwrtError):    what = "driver not present"
class PermissionDenied(HwrtError):    what = "permission denied"
class ABIMismatch(HwrtError):         what = "ABI mismatch"
class IoctlError(HwrtError):
  what = "ioctl failed"
  def __init__(self, msg="", errno: int = 0, name: str = "", **info):
    super().__init__(msg, errno=errno, name=name, **info)
    self.errno, self.name = errno, name
class RMError(IoctlError):            what = "RM call failed"     # ioctl returned 0 but the RM status field was not NV_OK
class GPUFault(HwrtError):            what = "GPU fault"
class GPUTimeout(HwrtError):          what = "GPU timeout"
class Unimplemented(HwrtError):       what = "unimplemented"
class CheckFailed(HwrtError):         what = "check failed"
