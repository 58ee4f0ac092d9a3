"""Command queues: the builder shape every hwrt driver shares —

    q = dev.compute_queue()          # or dev.copy_queue()
    q.wait(signal, value).exec(prog, args, grid, block).signal(signal, value).submit()
    q = dev.copy_queue().copy(dst, src, nbytes).signal(dev.timeline, dev.next_value()).submit()

Methods append pushbuffer words (ioctl/nv_hw.py encodes them); submit() hands them to the channel's GPFIFO in one entry."""
from __future__ import annotations
from hwrt.ioctl import nv_hw as hw

class NVQueue:
  def __init__(self, dev, channel):
    self.dev, self.channel, self.words = dev, channel, []
  def wait(self, signal, value: int):
    """The channel waits until signal >= value (64-bit circular compare)."""
    self.words += hw.host_semaphore(signal.va, value, op=hw.SEM_OP_ACQ_CIRC_GEQ, wfi=False)
    return self
  def signal(self, signal, value: int, timestamp: bool = False):
    """Release value into signal after everything before it completed (wait-for-idle), with a ns timestamp if asked."""
    self.words += hw.host_semaphore(signal.va, value, wfi=True, timestamp=timestamp)
    signal.value = max(signal.value, value)
    return self
  def submit(self):
    if self.words: self.channel.submit(self.words)
    self.words = []
    return self

class NVComputeQueue(NVQueue):
  def exec(self, prog, args=(), grid=(1, 1, 1), block=(1, 1, 1)):
    from hwrt.drivers.nv.program import exec_words
    self.words += exec_words(self.dev, prog, args, grid, block)
    return self

class NVCopyQueue(NVQueue):
  MAX_LINE = 1 << 30          # LINE_LENGTH_IN is 32-bit: split large copies
  def copy(self, dst, src, nbytes: int, dst_off: int = 0, src_off: int = 0):
    """dst and src are Buffers or GPU virtual addresses."""
    d, s = getattr(dst, "va", dst) + dst_off, getattr(src, "va", src) + src_off
    for done in range(0, nbytes, self.MAX_LINE):
      self.words += hw.copy_linear(s + done, d + done, min(self.MAX_LINE, nbytes - done))
    return self
