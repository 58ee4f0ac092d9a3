"""The NVIDIA hardware interface as data, shared by the driver (drivers/nv/) and the simulator (sim/nv/) so they agree by
construction: GPFIFO entries, USERD, the usermode doorbell, pushbuffer method headers, host (C86F) / compute (CBC0) /
copy (C8B5) method offsets and fields, the error notifier, constant bank 0 and the QMD field tables (V03_00, V04_00, V05_00).

Sources (facts, cited): NVIDIA/open-gpu-kernel-modules `src/common/sdk/nvidia/inc/class/clc86f.h`, `clc36f.h`, `clc361.h`,
`nvgputypes.h`; NVIDIA/open-gpu-doc `classes/host/clc56f.h`, `classes/compute/clcbc0.h`, `clcbc0qmd.h`, `clcdc0qmd.h`,
`classes/dma-copy/clc8b5.h`; shared/research/nvidia_rm_abi.md §4, §5, §7.1. QMD positions live in nv_hw_qmd.txt (generated
from the open-gpu-doc headers). A field is (hi_bit, lo_bit) over little-endian u32 words, as the headers' MW(hi:lo)."""
from __future__ import annotations
import os, struct
from typing import NamedTuple

def getf(word: int, hi: int, lo: int) -> int: return (word >> lo) & ((1 << (hi - lo + 1)) - 1)
def setf(value: int, hi: int, lo: int) -> int:
  assert 0 <= value < (1 << (hi - lo + 1)), f"value {value:#x} does not fit bits {hi}:{lo}"
  return value << lo

# ---- GPFIFO entry (clc86f.h NVC86F_GP_ENTRY0/1): 8 bytes
GP_ENTRY_SIZE = 8
GP_ENTRY1_LEVEL_MAIN, GP_ENTRY1_LEVEL_SUBROUTINE = 0, 1
GP_OPCODE_NOP, GP_OPCODE_ILLEGAL, GP_OPCODE_GP_CRC, GP_OPCODE_PB_CRC, GP_OPCODE_SET_PB_SEGMENT_EXTENDED_BASE = 0, 1, 2, 3, 4
def gp_entry(va: int, ndwords: int, level: int = GP_ENTRY1_LEVEL_MAIN, sync: int = 0) -> int:
  """A pushbuffer segment entry: VA bits 39:2, LENGTH (dwords) 30:10 of entry1, LEVEL 9, SYNC 31."""
  assert va % 4 == 0 and va < (1 << 40) and 0 < ndwords < (1 << 21), (hex(va), ndwords)
  return (va & 0xFFFFFFFC) | (((va >> 32) & 0xFF) << 32) | (level << 41) | (ndwords << 42) | (sync << 63)
def gp_entry_decode(e: int) -> dict:
  e0, e1 = e & 0xFFFFFFFF, e >> 32
  n = getf(e1, 30, 10)
  d = {"length": n, "level": getf(e1, 9, 9), "sync": getf(e1, 31, 31), "fetch": getf(e0, 0, 0)}
  if n: d["va"] = (e0 & 0xFFFFFFFC) | (getf(e1, 7, 0) << 32)
  else: d["opcode"], d["operand"] = getf(e1, 7, 0), e0
  return d

# ---- USERD (Nvc86fControl, clc86f.h), 512 bytes; GPPut/GPGet are ring indices
USERD_SIZE = 0x200
USERD_PUT, USERD_GET, USERD_REFERENCE, USERD_PUT_HI = 0x40, 0x44, 0x48, 0x4C
USERD_TOP_LEVEL_GET, USERD_TOP_LEVEL_GET_HI, USERD_GET_HI = 0x58, 0x5C, 0x60
USERD_GP_GET, USERD_GP_PUT = 0x88, 0x8C

# ---- usermode page (HOPPER_USERMODE_A, clc361.h): BAR0 0xBB0000, 0x10000 bytes
USERMODE_SIZE = 0x10000
USERMODE_TIME_0, USERMODE_TIME_1 = 0x80, 0x84
USERMODE_DOORBELL = 0x90        # NVC361_NOTIFY_CHANNEL_PENDING: write the channel's work-submit token here

# ---- pushbuffer method header (clc36f.h / clc56f.h NVC*6F_DMA_*)
SEC_OP_GRP0, SEC_OP_INC, SEC_OP_NON_INC, SEC_OP_IMMD, SEC_OP_ONE_INC, SEC_OP_END_PB_SEGMENT = 0, 1, 3, 4, 5, 7
SUBC_HOST, SUBC_3D, SUBC_COMPUTE, SUBC_I2M, SUBC_2D, SUBC_COPY, SUBC_SW = 0, 0, 1, 2, 3, 4, 5   # cla06fsubch.h
def method_header(sec_op: int, subch: int, mthd: int, count: int) -> int:
  assert mthd % 4 == 0 and mthd < 0x4000 and 0 <= subch < 8 and 0 <= count < (1 << 13), (sec_op, subch, hex(mthd), count)
  return (sec_op << 29) | (count << 16) | (subch << 13) | (mthd >> 2)
def nvm(subch: int, mthd: int, *args: int) -> list[int]:
  """Incrementing method: args go to mthd, mthd+4, ..."""
  return [method_header(SEC_OP_INC, subch, mthd, len(args)), *args]
def nvm_non_inc(subch: int, mthd: int, *args: int) -> list[int]:
  return [method_header(SEC_OP_NON_INC, subch, mthd, len(args)), *args]
def nvm_one_inc(subch: int, mthd: int, *args: int) -> list[int]:
  return [method_header(SEC_OP_ONE_INC, subch, mthd, len(args)), *args]
def nvm_immd(subch: int, mthd: int, value: int) -> list[int]:
  """Immediate-data method: 13-bit value in the header's COUNT field, no payload."""
  return [method_header(SEC_OP_IMMD, subch, mthd, value)]
def header_decode(h: int) -> tuple[int, int, int, int]:
  """-> (sec_op, subch, method byte offset, count or immediate value)."""
  return getf(h, 31, 29), getf(h, 15, 13), getf(h, 11, 0) << 2, getf(h, 28, 16)

# ---- host class HOPPER_CHANNEL_GPFIFO_A (0xC86F; offsets from clc56f.h, clc86f.h)
HOST_SET_OBJECT, HOST_ILLEGAL, HOST_NOP = 0x000, 0x004, 0x008
HOST_SEMAPHOREA, HOST_SEMAPHOREB, HOST_SEMAPHOREC, HOST_SEMAPHORED = 0x010, 0x014, 0x018, 0x01C
HOST_NON_STALL_INTERRUPT, HOST_FB_FLUSH = 0x020, 0x024
HOST_MEM_OP_A, HOST_MEM_OP_B, HOST_MEM_OP_C, HOST_MEM_OP_D = 0x028, 0x02C, 0x030, 0x034
HOST_SET_REFERENCE = 0x050
HOST_SEM_ADDR_LO, HOST_SEM_ADDR_HI, HOST_SEM_PAYLOAD_LO, HOST_SEM_PAYLOAD_HI, HOST_SEM_EXECUTE = 0x05C, 0x060, 0x064, 0x068, 0x06C
HOST_WFI, HOST_YIELD, HOST_CLEAR_FAULTED = 0x078, 0x080, 0x084
HOST_METHODS_END = 0x100          # methods below this go to host on any subchannel
SET_OBJECT_NVCLASS = (15, 0)
SEM_ADDR_LO_OFFSET, SEM_ADDR_HI_OFFSET = (31, 2), (24, 0)     # C86F: 57-bit semaphore VA
SEM_EXECUTE_OPERATION = (2, 0)
SEM_OP_ACQUIRE, SEM_OP_RELEASE, SEM_OP_ACQ_STRICT_GEQ, SEM_OP_ACQ_CIRC_GEQ, SEM_OP_ACQ_AND, SEM_OP_ACQ_NOR, SEM_OP_REDUCTION = range(7)
SEM_EXECUTE_ACQUIRE_SWITCH_TSG = (12, 12)
SEM_EXECUTE_RELEASE_WFI = (20, 20)
SEM_EXECUTE_PAYLOAD_SIZE = (24, 24)        # 0 32-bit, 1 64-bit
SEM_EXECUTE_RELEASE_TIMESTAMP = (25, 25)   # 1: 16 bytes: payload @0, ns timestamp @8
SEM_EXECUTE_REDUCTION = (30, 27)
SEM_EXECUTE_REDUCTION_FORMAT = (31, 31)
def sem_execute(op: int, payload64: bool = True, wfi: bool = False, timestamp: bool = False) -> int:
  return op | (int(wfi) << 20) | (int(payload64) << 24) | (int(timestamp) << 25)
def host_semaphore(va: int, payload: int, op: int = SEM_OP_RELEASE, payload64: bool = True, wfi: bool = True,
                   timestamp: bool = False) -> list[int]:
  """The 5-dword host semaphore release/acquire: SEM_ADDR_LO..SEM_EXECUTE on subchannel 0."""
  return nvm(SUBC_HOST, HOST_SEM_ADDR_LO, va & 0xFFFFFFFC, (va >> 32) & 0x1FFFFFF, payload & 0xFFFFFFFF,
             (payload >> 32) & 0xFFFFFFFF, sem_execute(op, payload64, wfi and op == SEM_OP_RELEASE, timestamp))

# ---- compute class HOPPER_COMPUTE_A (0xCBC0, open-gpu-doc classes/compute/clcbc0.h)
CBC0_SET_OBJECT, CBC0_NO_OPERATION, CBC0_WAIT_FOR_IDLE = 0x0000, 0x0100, 0x0110
CBC0_SET_REPORT_SEMAPHORE_PAYLOAD_LOWER, CBC0_SET_REPORT_SEMAPHORE_PAYLOAD_UPPER = 0x0158, 0x015C
CBC0_SET_REPORT_SEMAPHORE_ADDRESS_LOWER, CBC0_SET_REPORT_SEMAPHORE_ADDRESS_UPPER, CBC0_REPORT_SEMAPHORE_EXECUTE = 0x0160, 0x0164, 0x0168
REPORT_SEMAPHORE_EXECUTE_OPERATION, REPORT_SEMAPHORE_EXECUTE_PAYLOAD_SIZE64 = (1, 0), (12, 12)   # OPERATION 0 RELEASE
REPORT_SEMAPHORE_EXECUTE_STRUCTURE_SIZE = (4, 3)      # 0 four words (payload + timestamp), 1 one word, 2 two words
CBC0_INVALIDATE_SHADER_CACHES = 0x021C
# inline-to-memory (I2M): LINE_LENGTH_IN bytes to OFFSET_OUT_UPPER/OFFSET_OUT, data via LOAD_INLINE_DATA after LAUNCH_DMA
CBC0_LINE_LENGTH_IN, CBC0_LINE_COUNT, CBC0_OFFSET_OUT_UPPER, CBC0_OFFSET_OUT, CBC0_LAUNCH_DMA, CBC0_LOAD_INLINE_DATA = 0x0180, 0x0184, 0x0188, 0x018C, 0x01B0, 0x01B4
CBC0_SET_COMPUTE_CLASS_VERSION, CBC0_CHECK_COMPUTE_CLASS_VERSION, CBC0_SET_QMD_VERSION = 0x0280, 0x0284, 0x0288
CBC0_INVALIDATE_SKED_CACHES = 0x0298
CBC0_SET_SHADER_SHARED_MEMORY_WINDOW_A, CBC0_SET_SHADER_SHARED_MEMORY_WINDOW_B = 0x02A0, 0x02A4
CBC0_SEND_PCAS_A, CBC0_SEND_PCAS_B, CBC0_SEND_SIGNALING_PCAS_B, CBC0_SEND_SIGNALING_PCAS2_B = 0x02B4, 0x02B8, 0x02BC, 0x02C0
PCAS_ACTION = (3, 0)
PCAS_ACTION_NOP, PCAS_ACTION_INVALIDATE, PCAS_ACTION_SCHEDULE, PCAS_ACTION_INVALIDATE_COPY_SCHEDULE = 0, 1, 2, 3
PCAS_ACTION_INCREMENT_PUT, PCAS_ACTION_DECREMENT_DEPENDENCE, PCAS_ACTION_PREFETCH, PCAS_ACTION_PREFETCH_SCHEDULE = 6, 7, 8, 9
PCAS_ACTION_INVALIDATE_PREFETCH_COPY_SCHEDULE, PCAS_ACTION_INVALIDATE_PREFETCH_COPY_FORCE_REQUIRE_SCHEDULING = 0xA, 0xB
PCAS_SCHEDULING_ACTIONS = (PCAS_ACTION_SCHEDULE, PCAS_ACTION_INVALIDATE_COPY_SCHEDULE, PCAS_ACTION_PREFETCH_SCHEDULE,
                           PCAS_ACTION_INVALIDATE_PREFETCH_COPY_SCHEDULE, PCAS_ACTION_INVALIDATE_PREFETCH_COPY_FORCE_REQUIRE_SCHEDULING)
CBC0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_A, CBC0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_B, CBC0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_C = 0x02E4, 0x02E8, 0x02EC
CBC0_SET_SPA_VERSION = 0x0310
CBC0_SET_INLINE_QMD_ADDRESS_A, CBC0_SET_INLINE_QMD_ADDRESS_B, CBC0_LOAD_INLINE_QMD_DATA = 0x0318, 0x031C, 0x0320   # + 4*i
INLINE_QMD_ADDRESS_A_SHIFTED8_UPPER, INLINE_QMD_ADDRESS_A_INLINE_SIZE = (8, 0), (30, 30)     # INLINE_SIZE 0: 256 B, 1: 384 B
CBC0_SET_SHADER_LOCAL_MEMORY_A, CBC0_SET_SHADER_LOCAL_MEMORY_B = 0x0790, 0x0794
CBC0_SET_SHADER_LOCAL_MEMORY_WINDOW_A, CBC0_SET_SHADER_LOCAL_MEMORY_WINDOW_B = 0x07B0, 0x07B4
CBC0_SET_SHADER_EXCEPTIONS = 0x1528
CBC0_INVALIDATE_SHADER_CACHES_NO_WFI = 0x1698
CBC0_SET_REPORT_SEMAPHORE_A, CBC0_SET_REPORT_SEMAPHORE_B, CBC0_SET_REPORT_SEMAPHORE_C, CBC0_SET_REPORT_SEMAPHORE_D = 0x1B00, 0x1B04, 0x1B08, 0x1B0C

# ---- copy class HOPPER_DMA_COPY_A (0xC8B5, open-gpu-doc classes/dma-copy/clc8b5.h)
C8B5_NOP = 0x100
C8B5_SET_SEMAPHORE_A, C8B5_SET_SEMAPHORE_B, C8B5_SET_SEMAPHORE_PAYLOAD, C8B5_SET_SEMAPHORE_PAYLOAD_UPPER = 0x240, 0x244, 0x248, 0x24C
C8B5_SET_SRC_PHYS_MODE, C8B5_SET_DST_PHYS_MODE = 0x260, 0x264
C8B5_LAUNCH_DMA = 0x300
C8B5_OFFSET_IN_UPPER, C8B5_OFFSET_IN_LOWER, C8B5_OFFSET_OUT_UPPER, C8B5_OFFSET_OUT_LOWER = 0x400, 0x404, 0x408, 0x40C
C8B5_PITCH_IN, C8B5_PITCH_OUT, C8B5_LINE_LENGTH_IN, C8B5_LINE_COUNT = 0x410, 0x414, 0x418, 0x41C
C8B5_SET_REMAP_CONST_A, C8B5_SET_REMAP_CONST_B, C8B5_SET_REMAP_COMPONENTS = 0x700, 0x704, 0x708
LAUNCH_DMA = {  # field: (hi, lo)
  "data_transfer_type": (1, 0), "flush_enable": (2, 2), "semaphore_type": (4, 3), "interrupt_type": (6, 5),
  "src_memory_layout": (7, 7), "dst_memory_layout": (8, 8), "multi_line_enable": (9, 9), "remap_enable": (10, 10),
  "force_rmwdisable": (11, 11), "src_type": (12, 12), "dst_type": (13, 13), "semaphore_reduction": (17, 14), "sign": (18, 18),
  "reduction_enable": (19, 19), "copy_type": (21, 20), "vprmode": (22, 22), "memory_scrub_enable": (23, 23),
  "flush_type": (25, 25), "disable_plc": (26, 26), "semaphore_payload_size": (27, 27)}
DATA_TRANSFER_NONE, DATA_TRANSFER_PIPELINED, DATA_TRANSFER_NON_PIPELINED = 0, 1, 2
SEMAPHORE_TYPE_NONE, SEMAPHORE_TYPE_RELEASE_ONE_WORD, SEMAPHORE_TYPE_RELEASE_FOUR_WORD, SEMAPHORE_TYPE_CONDITIONAL_INTR = 0, 1, 2, 3
MEMORY_LAYOUT_BLOCKLINEAR, MEMORY_LAYOUT_PITCH = 0, 1
def launch_dma(**fields) -> int:
  return sum(setf(v, *LAUNCH_DMA[k]) for k, v in fields.items())
def launch_dma_decode(v: int) -> dict: return {k: getf(v, hi, lo) for k, (hi, lo) in LAUNCH_DMA.items()}
def copy_linear(src: int, dst: int, nbytes: int) -> list[int]:
  """A pitch-linear copy of nbytes (< 4 GiB) on the copy subchannel."""
  return (nvm(SUBC_COPY, C8B5_OFFSET_IN_UPPER, (src >> 32) & 0x1FFFFFF, src & 0xFFFFFFFF, (dst >> 32) & 0x1FFFFFF, dst & 0xFFFFFFFF)
          + nvm(SUBC_COPY, C8B5_LINE_LENGTH_IN, nbytes)
          + nvm(SUBC_COPY, C8B5_LAUNCH_DMA, launch_dma(data_transfer_type=DATA_TRANSFER_NON_PIPELINED, src_memory_layout=1, dst_memory_layout=1)))
def copy_semaphore(va: int, payload: int, payload64: bool = True) -> list[int]:
  return (nvm(SUBC_COPY, C8B5_SET_SEMAPHORE_A, (va >> 32) & 0x1FFFFFF, va & 0xFFFFFFFF, payload & 0xFFFFFFFF, (payload >> 32) & 0xFFFFFFFF)
          + nvm(SUBC_COPY, C8B5_LAUNCH_DMA, launch_dma(flush_enable=1, semaphore_type=SEMAPHORE_TYPE_RELEASE_ONE_WORD,
                                                       semaphore_payload_size=int(payload64))))

# ---- error notifier (NvNotification, nvgputypes.h; krcErrorWriteNotifier_CPU), 16 bytes per entry, index 0 on RC
NOTIFICATION_SIZE = 16
NOTIFICATION_TIME_HI, NOTIFICATION_TIME_LO, NOTIFICATION_INFO32, NOTIFICATION_INFO16, NOTIFICATION_STATUS = 0, 4, 8, 12, 14
NOTIFICATION_STATUS_ERROR = 0xFFFF
NOTIFIERS_RC, NOTIFIERS_REFCNT, NOTIFIERS_NONSTALL = 0, 1, 2      # clc86fsw.h NVC86F_NOTIFIERS_*
ENGINE_TYPE_GRAPHICS, ENGINE_TYPE_COPY0 = 1, 9                   # cl2080_notification.h NV2080_ENGINE_TYPE_*
def notification_pack(xid: int, engine: int, ns: int) -> bytes:
  return struct.pack("<IIIHH", (ns >> 32) & 0xFFFFFFFF, ns & 0xFFFFFFFF, xid, engine, NOTIFICATION_STATUS_ERROR)

# ---- constant bank 0 for sm_90 (shared/research/nvidia_rm_abi.md §5.4: denvdis, tinygrad)
CB0_BLOCK_DIM, CB0_GRID_DIM, CB0_SHARED_WINDOW, CB0_LOCAL_WINDOW, CB0_STACK = 0x00, 0x0C, 0x18, 0x20, 0x28
CB0_GLOBAL_DESC, CB0_PARAMS_SM90 = 0x208, 0x210
CB0_STACK_INIT = 0xFFFDC0

# ---- QMD tables
QMD_SIZE = {"V03_00": 256, "V04_00": 384, "V05_00": 384}

# ---- per-generation launch facts (the gen column of nv.txt's rm_chips): the QMD version the compute class takes
# (clc6c0qmd.h / clc7c0qmd.h V03_00 for Ampere and Ada, clcbc0qmd.h V04_00 Hopper, clcdc0qmd.h V05_00 Blackwell) and the
# offset of the kernel parameters in constant bank 0 (ptxas' EIATTR_PARAM_CBANK default for sm_8x / sm_90 / sm_100)
class Generation(NamedTuple):
  qmd: str
  cb0_param_base: int
GENERATIONS = {"ampere": Generation("V03_00", 0x160), "ada": Generation("V03_00", 0x160), "hopper": Generation("V04_00", 0x210),
               "blackwell": Generation("V05_00", 0x380)}
QMD_MAJOR = {"V03_00": 3, "V04_00": 4, "V05_00": 5}
def _load_qmd() -> dict[str, dict[str, tuple[int, int]]]:
  t: dict[str, dict[str, tuple[int, int]]] = {v: {} for v in QMD_SIZE}
  with open(os.path.join(os.path.dirname(__file__), "nv_hw_qmd.txt")) as f:
    for line in f:
      if not line.strip() or line.startswith("#"): continue
      ver, name, hi, lo, stride, count = line.split()
      hi, lo, stride, count = int(hi), int(lo), int(stride), int(count)
      if name.endswith("(i)"):
        for i in range(count): t[ver].setdefault(f"{name[:-3].lower()}_{i}", (hi + i * stride, lo + i * stride))
      else: t[ver][name.lower()] = (hi, lo)
  return t
QMD_FIELDS = _load_qmd()
"""{"V04_00": {"grid_width": (1055, 1024), "constant_buffer_valid_0": (416, 416), ...}} — header names lowercased, without
the NVCBC0_QMDV04_00_ prefix; an indexed header field NAME(i) is name_<i> (release_enable_0, constant_buffer_valid_3)."""

def qmd_version(v) -> str:
  if isinstance(v, int): v = f"V{v:02d}_00"
  v = v.upper()
  if v not in QMD_SIZE: from hwrt.errors import BadArgument; raise BadArgument(f"unknown QMD version {v!r} (know {', '.join(QMD_SIZE)})")
  return v
def qmd_encode(version, **fields) -> bytes:
  """Build a QMD; qmd_major_version is filled in unless given. Unknown field names or values that do not fit raise."""
  v = qmd_version(version); tab = QMD_FIELDS[v]
  fields.setdefault("qmd_major_version", QMD_MAJOR[v])
  acc = 0
  for k, val in fields.items():
    if k not in tab: from hwrt.errors import BadArgument; raise BadArgument(f"QMD {v} has no field {k!r}")
    hi, lo = tab[k]
    if not 0 <= val < (1 << (hi - lo + 1)): from hwrt.errors import BadArgument; raise BadArgument(f"QMD {v} {k}={val:#x} does not fit {hi - lo + 1} bits")
    acc = (acc & ~(((1 << (hi - lo + 1)) - 1) << lo)) | (val << lo)
  return acc.to_bytes(QMD_SIZE[v], "little")
def qmd_decode(version, data: bytes) -> dict[str, int]:
  v = qmd_version(version); acc = int.from_bytes(bytes(data[:QMD_SIZE[v]]), "little")
  return {k: (acc >> lo) & ((1 << (hi - lo + 1)) - 1) for k, (hi, lo) in QMD_FIELDS[v].items()}
def qmd_get(version, data: bytes, name: str) -> int:
  hi, lo = QMD_FIELDS[qmd_version(version)][name]
  return (int.from_bytes(bytes(data[:QMD_SIZE[qmd_version(version)]]), "little") >> lo) & ((1 << (hi - lo + 1)) - 1)
def qmd_major_of(data: bytes, v05_layout: bool = False) -> int:
  """QMD_MAJOR_VERSION as the engine reads it: bits 583:580 on V03/V04 (Ampere-Hopper), 471:468 on V05 (Blackwell)."""
  acc = int.from_bytes(bytes(data[:384]).ljust(384, b"\0"), "little")
  return getf(acc, 471, 468) if v05_layout else getf(acc, 583, 580)
