"""The AMD hardware interface as data, for the driver (drivers/amd/) and a simulator that wants to agree with it: PM4 type-3
packets of a gfx11 compute queue, the compute SH registers they set, SDMA v6 packets, the event-page and queue-memory
layout KFD user queues use, the AMDGPU VM fault line amdgpu prints.

Sources (facts, cited): Linux drivers/gpu/drm/amd/amdgpu/nvd.h (PACKET3_* opcodes and RELEASE_MEM/ACQUIRE_MEM/WAIT_REG_MEM
fields, gfx10+), soc15d.h (PACKET3 header), gfx_v11_0.c (gfx_v11_0_emit_mem_sync: ACQUIRE_MEM body, GCR_CNTL bits),
Mesa src/amd/common/sid.h (R_00B8xx_COMPUTE_* byte addresses: SH registers from 0xB000, i.e. SET_SH_REG index
(addr - 0xB000) / 4), drivers/gpu/drm/amd/amdgpu/sdma_v6_0_0_pkt_open.h (SDMA_OP_*), amdkfd kfd_events.c (event page:
8-byte slots), amdgpu gmc_v11_0.c / amdgpu_gmc.c (the "[gfxhub] page fault" lines); shared/research/tinygrad.md §3.5-3.8."""
from __future__ import annotations
import re

# ---- PM4 type-3 packets (soc15d.h PACKET3(op, n): n = payload dwords - 1)
def packet3(op: int, *payload: int) -> list[int]:
  assert payload and len(payload) <= 0x4000, (op, len(payload))
  return [(3 << 30) | ((len(payload) - 1) << 16) | (op << 8), *[p & 0xFFFFFFFF for p in payload]]
def packet3_decode(h: int) -> tuple[int, int, int]:
  """-> (type, opcode, payload dwords)"""
  return h >> 30, (h >> 8) & 0xFF, ((h >> 16) & 0x3FFF) + 1

PACKET3_NOP, PACKET3_DISPATCH_DIRECT, PACKET3_WAIT_REG_MEM, PACKET3_INDIRECT_BUFFER = 0x10, 0x15, 0x3C, 0x3F
PACKET3_EVENT_WRITE, PACKET3_RELEASE_MEM, PACKET3_ACQUIRE_MEM, PACKET3_SET_SH_REG = 0x46, 0x49, 0x58, 0x76
PACKET3_SET_SH_REG_START = 0x2C00            # dword address of SH register index 0

# compute SH registers, as SET_SH_REG indices (Mesa sid.h R_00B8xx byte addresses - 0xB000, / 4)
COMPUTE_DISPATCH_INITIATOR, COMPUTE_DIM_X, COMPUTE_START_X, COMPUTE_NUM_THREAD_X = 0x200, 0x201, 0x204, 0x207
COMPUTE_PGM_LO, COMPUTE_PGM_HI, COMPUTE_DISPATCH_SCRATCH_BASE_LO = 0x20C, 0x20D, 0x210
COMPUTE_PGM_RSRC1, COMPUTE_PGM_RSRC2, COMPUTE_RESOURCE_LIMITS, COMPUTE_TMPRING_SIZE = 0x212, 0x213, 0x215, 0x218
COMPUTE_RESTART_X, COMPUTE_PGM_RSRC3, COMPUTE_USER_DATA_0 = 0x21B, 0x228, 0x240
COMPUTE_USER_DATA_COUNT = 16
# COMPUTE_DISPATCH_INITIATOR bits (sid.h S_00B800_*)
DISPATCH_COMPUTE_SHADER_EN, DISPATCH_FORCE_START_AT_000, DISPATCH_CS_W32_EN = 1 << 0, 1 << 2, 1 << 15

# EVENT_WRITE / RELEASE_MEM events (vgt_event_type) and indices
CS_PARTIAL_FLUSH, CACHE_FLUSH_AND_INV_TS_EVENT = 0x07, 0x14
EVENT_INDEX_PARTIAL_FLUSH, EVENT_INDEX_END_OF_PIPE = 4, 5
# RELEASE_MEM dw1 (nvd.h PACKET3_RELEASE_MEM_*) and dw2 selectors
REL_GCR_GLM_WB, REL_GCR_GLM_INV, REL_GCR_GLV_INV, REL_GCR_GL1_INV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
REL_GCR_GL2_INV, REL_GCR_GL2_WB, REL_GCR_SEQ = 1 << 20, 1 << 21, 1 << 22
REL_FLUSH_ALL = REL_GCR_GLM_WB | REL_GCR_GLM_INV | REL_GCR_GLV_INV | REL_GCR_GL1_INV | REL_GCR_GL2_INV | REL_GCR_GL2_WB | REL_GCR_SEQ
DATA_SEL_NONE, DATA_SEL_32, DATA_SEL_64, DATA_SEL_GPU_CLOCK = 0, 1, 2, 3
INT_SEL_NONE, INT_SEL_SEND_INT_AFTER_WRITE_CONFIRM = 0, 2     # pm4_nv.h int_sel__mec_release_mem__*
def release_mem(addr: int, value: int, data_sel: int = DATA_SEL_64, int_sel: int = INT_SEL_NONE, ctxid: int = 0) -> list[int]:
  """End-of-pipe write of value (or the GPU clock) to addr after everything before it, caches written back."""
  return packet3(PACKET3_RELEASE_MEM, CACHE_FLUSH_AND_INV_TS_EVENT | (EVENT_INDEX_END_OF_PIPE << 8) | REL_FLUSH_ALL,
                 (data_sel << 29) | (int_sel << 24), addr & 0xFFFFFFFF, addr >> 32, value & 0xFFFFFFFF, value >> 32, ctxid)

# WAIT_REG_MEM dw1: FUNCTION 2:0, MEM_SPACE 4 (1 memory), ENGINE 9:8 (0 ME)
WAIT_FUNC_GEQ, WAIT_MEM_SPACE_MEMORY = 5, 1 << 4
def wait_reg_mem(addr: int, value: int, mask: int = 0xFFFFFFFF, interval: int = 4) -> list[int]:
  """The queue waits until the dword at addr >= value (32-bit compare of the low word)."""
  return packet3(PACKET3_WAIT_REG_MEM, WAIT_FUNC_GEQ | WAIT_MEM_SPACE_MEMORY, addr & 0xFFFFFFFC, addr >> 32, value, mask, interval)

# ACQUIRE_MEM (gfx_v11_0_emit_mem_sync) GCR_CNTL bits
GCR_GLI_INV, GCR_GLM_WB, GCR_GLM_INV, GCR_GLK_WB, GCR_GLK_INV, GCR_GLV_INV, GCR_GL1_INV = 1, 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8, 1 << 9
GCR_GL2_INV, GCR_GL2_WB = 1 << 14, 1 << 15
def acquire_mem(gcr: int = GCR_GLK_INV | GCR_GLV_INV | GCR_GL1_INV | GCR_GLM_INV | GCR_GLM_WB) -> list[int]:
  """Invalidate the shader caches before a dispatch (the whole address range)."""
  return packet3(PACKET3_ACQUIRE_MEM, 0, 0xFFFFFFFF, 0xFFFFFF, 0, 0, 0xA, gcr)

def set_sh_reg(reg: int, *values: int) -> list[int]: return packet3(PACKET3_SET_SH_REG, reg, *values)
def cs_partial_flush() -> list[int]: return packet3(PACKET3_EVENT_WRITE, CS_PARTIAL_FLUSH | (EVENT_INDEX_PARTIAL_FLUSH << 8))

# ---- SDMA v6 packets (sdma_v6_0_0_pkt_open.h): header = op | sub_op << 8; ring and wptr in bytes
SDMA_OP_NOP, SDMA_OP_COPY, SDMA_OP_FENCE, SDMA_OP_TRAP, SDMA_OP_POLL_REGMEM, SDMA_OP_TIMESTAMP = 0, 1, 5, 6, 8, 0xD
SDMA_SUBOP_COPY_LINEAR, SDMA_SUBOP_TIMESTAMP_GET_GLOBAL = 0, 2
SDMA_FENCE_MTYPE_UC = 3 << 16
SDMA_MAX_COPY = 1 << 30                        # COUNT is 30 bits of bytes - 1 (SDMA 5+)
def sdma_copy_linear(dst: int, src: int, nbytes: int) -> list[int]:
  assert 0 < nbytes <= SDMA_MAX_COPY
  return [SDMA_OP_COPY | (SDMA_SUBOP_COPY_LINEAR << 8), nbytes - 1, 0, src & 0xFFFFFFFF, src >> 32, dst & 0xFFFFFFFF, dst >> 32]
def sdma_fence(addr: int, value: int) -> list[int]:
  """32-bit write of value to addr when everything before has completed."""
  return [SDMA_OP_FENCE | SDMA_FENCE_MTYPE_UC, addr & 0xFFFFFFFF, addr >> 32, value & 0xFFFFFFFF]
def sdma_poll_geq(addr: int, value: int) -> list[int]:
  """Wait until the dword at addr >= value (FUNC 5 at 30:28, MEM_POLL bit 31; interval 4, retry 0xfff)."""
  return [SDMA_OP_POLL_REGMEM | (WAIT_FUNC_GEQ << 28) | (1 << 31), addr & 0xFFFFFFFF, addr >> 32, value, 0xFFFFFFFF, (0xFFF << 16) | 4]
def sdma_timestamp(addr: int) -> list[int]:
  return [SDMA_OP_TIMESTAMP | (SDMA_SUBOP_TIMESTAMP_GET_GLOBAL << 8), addr & 0xFFFFFFFF, addr >> 32]

GPU_CLOCK_NS = 10.0                            # RELEASE_MEM's GPU clock counter and SDMA's global timestamp run at 100 MHz

# ---- KFD user-queue memory (tinygrad §3.3: an amd_queue_t-shaped "gart" page; kfd_events.c: 8-byte event slots)
QUEUE_WPTR_OFF, QUEUE_RPTR_OFF = 56, 128       # amd_queue_t write_dispatch_id / read_dispatch_id
EVENT_PAGE_SIZE, EVENT_SLOT_SIZE = 0x8000, 8
EOP_BUFFER_SIZE = 0x1000
# CWSR area per CU (kfd_queue.c kfd_queue_ctx_save_restore_size): VGPRs (gfx11.0.0/11.0.1: 0x60000), SGPRs, LDS, HW registers
CWSR_VGPR_PER_CU = {110000: 0x60000, 110001: 0x60000, 110501: 0x60000, 120000: 0x60000, 120001: 0x60000}
CWSR_VGPR_PER_CU_DEFAULT, CWSR_SGPR_PER_CU, CWSR_LDS_PER_CU, CWSR_HWREG_PER_CU = 0x40000, 0x4000, 0x10000, 0x1000
CWSR_CTL_STACK_PER_WAVE, CWSR_CTL_STACK_EXTRA, CWSR_DEBUG_PER_WAVE = 12, 48, 32

# ---- what amdgpu prints for a GPU VM fault (gmc_v11_0_process_interrupt / amdgpu_vm_fault_print), e.g.
#   amdgpu 0000:03:00.0: amdgpu: [gfxhub] page fault (src_id:0 ring:24 vmid:8 pasid:32769)
#   amdgpu 0000:03:00.0: amdgpu:   in page starting at address 0x00007f0000001000 from client 0x1b (UTCL2)
VM_FAULT = re.compile(r"\[(?P<hub>\w+)\] page fault \(src_id:(?P<src>\d+) ring:(?P<ring>\d+) vmid:(?P<vmid>\d+) pasid:(?P<pasid>\d+)")
VM_FAULT_ADDR = re.compile(r"in page starting at address 0x(?P<addr>[0-9a-fA-F]+) from client (?:0x)?(?P<client>[0-9a-fA-F]+)(?: \((?P<name>\w+)\))?")
