"""What the simulated NVIDIA GPU says it is: one row of sim/nv/identities.txt (the facts and their sources are listed there).
sim:nv:gh100 (H100, the default; sim:nv is an alias), sim:nv:ga102 (RTX 3090), sim:nv:ad102 (RTX 4090), sim:nv:gb202 (RTX 5090);
a100, l40 and b200 on request. Class ids from `src/common/sdk/nvidia/inc/class/*.h` of NVIDIA/open-gpu-kernel-modules."""
from __future__ import annotations
import dataclasses, os, shlex
from dataclasses import dataclass, field

COMMON = {"NV01_MEMORY_SYSTEM": 0x3E, "NV01_MEMORY_LOCAL_USER": 0x40, "NV01_MEMORY_VIRTUAL": 0x70,
          "NV01_MEMORY_SYSTEM_OS_DESCRIPTOR": 0x71, "NV01_EVENT_OS_EVENT": 0x79, "NV50_MEMORY_VIRTUAL": 0x50A0,
          "GT200_DEBUGGER": 0x83DE, "FERMI_CONTEXT_SHARE_A": 0x9067, "FERMI_VASPACE_A": 0x90F1, "FERMI_TWOD_A": 0x902D,
          "GF100_TIMED_SEMAPHORE_SW": 0x9074, "KEPLER_CHANNEL_GROUP_A": 0xA06C, "GP100_UVM_SW": 0xC076,
          "ACCESS_COUNTER_NOTIFY_BUFFER": 0xC365, "MMU_FAULT_BUFFER": 0xC369, "VOLTA_CHANNEL_GPFIFO_A": 0xC36F,
          "TURING_CHANNEL_GPFIFO_A": 0xC46F, "AMPERE_CHANNEL_GPFIFO_A": 0xC56F, "VOLTA_USERMODE_A": 0xC361,
          "TURING_USERMODE_A": 0xC461, "AMPERE_USERMODE_A": 0xC561, "RM_USER_SHARED_DATA": 0xDE}

@dataclass(frozen=True)
class Identity:
  key: str
  chip: str                # the g_gpu_class_list.c / ioctl/nv.txt rm_chips row
  name: str
  pci_device: int
  pci_subsystem: int
  sm: int                  # NV2080_CTRL_GR_INFO_SM_VERSION_*: 0x900 for sm_90, 0xA04 (10_04) for sm_120
  sm_name: str             # the CUDA arch: sm_86, sm_89, sm_90, sm_120
  sms: int
  gpcs: int                # LITTER_NUM_GPCS (the full die)
  tpc_per_gpc: int         # LITTER_NUM_TPC_PER_GPC
  sm_per_tpc: int
  max_warps_per_sm: int
  arch: int                # NV2080_CTRL_MC_ARCH_INFO_ARCHITECTURE_*
  impl: int
  fb_bytes: int
  l2_bytes: int
  gpfifo_class: int
  compute_class: int
  copy_class: int
  usermode_class: int
  qmd_version: str
  extra_classes: dict = field(default_factory=dict)
  @property
  def sass_version(self) -> int: return ((self.sm & 0xF00) >> 4) | (self.sm & 0xF)   # QMD SASS_VERSION: 0x90, 0x89, 0xA4
  @property
  def classes(self) -> list[int]:
    own = {self.gpfifo_class, self.compute_class, self.copy_class, self.usermode_class, *self.extra_classes.values()}
    return sorted(set(COMMON.values()) | own)
  @property
  def tpcs(self) -> int: return self.sms // self.sm_per_tpc

def _load() -> dict[str, Identity]:
  out, extras = {}, {}
  with open(os.path.join(os.path.dirname(__file__), "identities.txt")) as f:
    for line in f:
      if not line.strip() or line.startswith("#"): continue
      c = shlex.split(line)
      if c[0] == "classes":
        extras.setdefault(c[1], {}).update({k: int(v, 0) for k, v in (kv.split("=") for kv in c[2].split(","))})
        continue
      n = [int(x, 0) for x in c[3:6]] + [c[6]] + [int(x, 0) for x in c[7:14]]
      mem = [int(c[14]) << 30, int(c[15]) << 20]
      cls = [int(x, 0) for x in c[16:20]]
      out[c[0]] = Identity(c[0], c[1], c[2], *n, *mem, *cls, c[20])
  return {k: dataclasses.replace(i, extra_classes=extras.get(k, {})) for k, i in out.items()}

IDENTITIES = _load()
ALIASES = {"h100": "gh100", "hopper": "gh100", "sm_90": "gh100", "rtx3090": "ga102", "ampere": "ga102", "sm_86": "ga102",
           "rtx4090": "ad102", "ada": "ad102", "sm_89": "ad102", "rtx5090": "gb202", "blackwell": "gb202", "sm_120": "gb202",
           "ga100": "a100", "sm_80": "a100", "gb100": "b200", "sm_100": "b200"}
GENERATIONS = ("ga102", "ad102", "gh100", "gb202")     # issue 14's four boards, oldest first

def identity(name: str = "gh100") -> Identity:
  k = ALIASES.get(name.lower(), name.lower())
  if k not in IDENTITIES:
    from hwrt.errors import BadArgument
    raise BadArgument(f"unknown simulated NVIDIA GPU {name!r} (know {', '.join(IDENTITIES)} and {', '.join(ALIASES)})")
  return IDENTITIES[k]

DRIVER_VERSION = "580.142"       # the 580 branch the ABI tables describe (shared/research/nvidia_rm_abi.md header)
UUID_PREFIX = bytes.fromhex("6877727473696d")   # "hwrtsim": the 16-byte GPU UUID starts with it
