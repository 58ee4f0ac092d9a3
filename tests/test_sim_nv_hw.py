"""hwrt.ioctl.nv_hw: the hardware interface the driver and the simulator share. Positions are checked against the values in
NVIDIA/open-gpu-doc classes/compute/clcbc0qmd.h / clcdc0qmd.h and open-gpu-kernel-modules class/clc86f.h as quoted in
shared/research/nvidia_rm_abi.md §4-§5 (a second, independent transcription of the same headers)."""
import random, pytest
from hwrt.errors import BadArgument
from hwrt.ioctl import nv_hw as hw

def test_gp_entry_layout():
  # clc86f.h NVC86F_GP_ENTRY0_GET 31:2, ENTRY1_GET_HI 7:0, LEVEL 9:9, LENGTH 30:10, SYNC 31:31
  e = hw.gp_entry(0xAB_1234_5678, 0x1234, level=1, sync=1)
  assert e == (0x12345678 | (0xAB << 32) | (1 << 41) | (0x1234 << 42) | (1 << 63))
  d = hw.gp_entry_decode(e)
  assert (d["va"], d["length"], d["level"], d["sync"]) == (0xAB_1234_5678, 0x1234, 1, 1)
  assert hw.gp_entry_decode(4 << 32 | 0x12)["opcode"] == hw.GP_OPCODE_SET_PB_SEGMENT_EXTENDED_BASE
  with pytest.raises(AssertionError): hw.gp_entry(1 << 40, 1)

def test_method_headers():
  # clc36f.h NVC36F_DMA_*: ADDRESS 11:0 (method>>2), SUBCHANNEL 15:13, COUNT 28:16, SEC_OP 31:29
  assert hw.nvm(1, 0x2B4, 0xAA) == [0x200120AD, 0xAA]          # 1<<29 | 1<<16 | 1<<13 | 0x2B4>>2
  assert hw.nvm_non_inc(4, 0x300, 1, 2)[0] == (3 << 29) | (2 << 16) | (4 << 13) | (0x300 >> 2)
  assert hw.nvm_immd(1, 0x184, 7) == [(4 << 29) | (7 << 16) | (1 << 13) | (0x184 >> 2)]
  assert hw.header_decode(hw.nvm(4, 0x418, 9)[0]) == (hw.SEC_OP_INC, 4, 0x418, 1)

def test_method_offsets_match_the_fact_sheet():
  assert (hw.HOST_SEM_ADDR_LO, hw.HOST_SEM_EXECUTE, hw.HOST_NON_STALL_INTERRUPT) == (0x5C, 0x6C, 0x20)
  assert (hw.CBC0_SEND_PCAS_A, hw.CBC0_SEND_SIGNALING_PCAS2_B, hw.CBC0_SET_SHADER_LOCAL_MEMORY_A, hw.CBC0_SET_SHADER_SHARED_MEMORY_WINDOW_A) == (0x2B4, 0x2C0, 0x790, 0x2A0)
  assert (hw.C8B5_LAUNCH_DMA, hw.C8B5_OFFSET_IN_UPPER, hw.C8B5_LINE_LENGTH_IN, hw.C8B5_SET_SEMAPHORE_A) == (0x300, 0x400, 0x418, 0x240)
  assert (hw.USERD_GP_GET, hw.USERD_GP_PUT, hw.USERMODE_DOORBELL) == (0x88, 0x8C, 0x90)
  assert hw.launch_dma(data_transfer_type=2, src_memory_layout=1, dst_memory_layout=1) == 0x182           # tinygrad's copy flags
  assert hw.launch_dma_decode(1 << 27 | 1 << 3 | 1 << 2)["semaphore_payload_size"] == 1

@pytest.mark.parametrize("ver,name,pos", [
  ("V04_00", "grid_width", (1055, 1024)), ("V04_00", "cta_thread_dimension0", (1167, 1152)), ("V04_00", "register_count", (1208, 1200)),
  ("V04_00", "program_address_lower", (1247, 1216)), ("V04_00", "program_address_upper", (1272, 1248)),
  ("V04_00", "constant_buffer_addr_lower_shifted6_0", (1567, 1536)), ("V04_00", "constant_buffer_size_shifted4_1", (1663, 1651)),
  ("V04_00", "constant_buffer_valid_0", (416, 416)), ("V04_00", "release_enable_1", (336, 336)), ("V04_00", "qmd_major_version", (583, 580)),
  ("V04_00", "shared_memory_size", (601, 584)), ("V04_00", "barrier_count", (1215, 1211)), ("V04_00", "release_semaphore0_addr_upper", (696, 672)),
  ("V03_00", "cta_raster_width", (415, 384)), ("V03_00", "program_address_lower", (1567, 1536)), ("V03_00", "register_count_v", (656, 648)),
  ("V03_00", "constant_buffer_valid_3", (643, 643)), ("V03_00", "release0_enable", (823, 823)), ("V03_00", "shader_local_memory_high_size", (1623, 1600)),
  ("V05_00", "program_address_lower_shifted4", (1055, 1024)), ("V05_00", "qmd_major_version", (471, 468)), ("V05_00", "grid_width", (1279, 1248)),
  ("V05_00", "register_count", (1136, 1128)), ("V05_00", "release_enable_0", (288, 288))])
def test_qmd_field_positions(ver, name, pos):
  assert hw.QMD_FIELDS[ver][name] == pos

@pytest.mark.parametrize("ver", ["V03_00", "V04_00", "V05_00"])
def test_qmd_round_trip(ver):
  rng = random.Random(ver)
  tab = hw.QMD_FIELDS[ver]
  names = rng.sample(sorted(tab), 40)
  # pick fields that do not overlap each other (some header names alias the same bits)
  chosen, used = {}, set()
  for n in names:
    hi, lo = tab[n]
    if used & set(range(lo, hi + 1)): continue
    used |= set(range(lo, hi + 1)); chosen[n] = rng.getrandbits(hi - lo + 1)
  chosen.pop("qmd_major_version", None)
  q = hw.qmd_encode(ver, **chosen)
  assert len(q) == hw.QMD_SIZE[ver]
  d = hw.qmd_decode(ver, q)
  assert all(d[k] == v for k, v in chosen.items()) and d["qmd_major_version"] == hw.QMD_MAJOR[ver]
  assert hw.qmd_major_of(q, v05_layout=ver == "V05_00") == hw.QMD_MAJOR[ver]

def test_qmd_rejects_unknown_fields_and_overflow():
  with pytest.raises(BadArgument): hw.qmd_encode(4, grid_wdth=1)
  with pytest.raises(BadArgument): hw.qmd_encode(4, grid_height=1 << 16)
  with pytest.raises(BadArgument): hw.qmd_encode("V09_00")

def test_host_semaphore_words():
  w = hw.host_semaphore(0x1_2345_6788, 0x1122334455667788)
  assert w == [0x20050017, 0x23456788, 1, 0x55667788, 0x11223344, 1 | 1 << 20 | 1 << 24]
