"""NVIDIA command queues on the contract's builder (drivers/base.py Queue):

    q = dev.compute_queue()          # or dev.copy_queue()
    q.wait(signal, value).exec(prog, args, grid, block).signal(signal, value).submit()
    q = dev.copy_queue().copy(dst, src, nbytes).signal(dev.timeline, dev.next_value()).submit()

Methods append pushbuffer words (ioctl/nv_hw.py encodes them); submit() hands them to the channel's GPFIFO in one entry."""
from __future__ import annotations
from hwrt.ioctl import nv_hw as hw
from hwrt.drivers.base import Queue
from hwrt.drivers.nv.program import exec_words

class NVQueue(Queue):
  def _wait(self, signal, value: int):
    """64-bit circular compare: the channel waits until signal >= value."""
    self.words += hw.host_semaphore(signal.va, value, op=hw.SEM_OP_ACQ_CIRC_GEQ, wfi=False)
  def _signal(self, signal, value: int, timestamp: bool):
    """A semaphore release after wait-for-idle, with a ns timestamp if asked."""
    self.words += hw.host_semaphore(signal.va, value, wfi=True, timestamp=timestamp)

class NVComputeQueue(NVQueue):
  def _exec(self, prog, args, grid, block): self.words += exec_words(self.dev, prog, args, grid, block)

class NVCopyQueue(NVQueue):
  MAX_LINE = 1 << 30          # LINE_LENGTH_IN is 32-bit: split large copies
  def _copy(self, dst: int, src: int, nbytes: int):
    for done in range(0, nbytes, self.MAX_LINE):
      self.words += hw.copy_linear(src + done, dst + done, min(self.MAX_LINE, nbytes - done))
