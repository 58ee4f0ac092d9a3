"""AMD command queues on the contract's builder (drivers/base.py Queue): PM4 on the compute queue, SDMA packets on the copy
queue (ioctl/amd_hw.py encodes both).

    dev.compute_queue().wait(sig, v).exec(prog, args, grid, block).signal(sig, v, timestamp=True).submit()
    dev.copy_queue().copy(dst, src, nbytes).signal(dev.timeline, dev.next_value()).submit()"""
from __future__ import annotations
from hwrt.ioctl import amd_hw as hw
from hwrt.drivers.base import Queue

class AMDComputeQueue(Queue):
  def _wait(self, signal, value: int): self.words += hw.wait_reg_mem(signal.va, value)
  def _signal(self, signal, value: int, timestamp: bool):
    """End-of-pipe releases: the GPU clock at signal+8 (if asked), then the 64-bit value."""
    if timestamp: self.words += hw.release_mem(signal.va + 8, 0, data_sel=hw.DATA_SEL_GPU_CLOCK)
    self.words += hw.release_mem(signal.va, value)
  def _exec(self, prog, args, grid, block): self.words += prog.dispatch_words(args, grid, block)

class AMDCopyQueue(Queue):
  def _wait(self, signal, value: int): self.words += hw.sdma_poll_geq(signal.va, value)
  def _signal(self, signal, value: int, timestamp: bool):
    """SDMA fences are 32-bit: the high word first, then the low word the waiter compares."""
    if timestamp: self.words += hw.sdma_timestamp(signal.va + 8)
    self.words += hw.sdma_fence(signal.va + 4, value >> 32) + hw.sdma_fence(signal.va, value)
  def _copy(self, dst: int, src: int, nbytes: int):
    for done in range(0, nbytes, hw.SDMA_MAX_COPY):
      self.words += hw.sdma_copy_linear(dst + done, src + done, min(hw.SDMA_MAX_COPY, nbytes - done))
