"""What the simulated NVIDIA GPU says it is. H100 is the default; A100 (Ampere), L40 (Ada) and B200 (Blackwell) on request.

Class lists: the engine classes of `gpuGetEngClassDescriptorList_{GA100,AD102,GH100,GB100}` in NVIDIA/open-gpu-kernel-modules
`src/nvidia/generated/g_gpu_class_list.c` (595.45.04 snapshot; display/vGPU/video classes left out), class ids from
`src/common/sdk/nvidia/inc/class/*.h`. Architecture ids: `ctrl2080mc.h` NV2080_CTRL_MC_ARCH_INFO_ARCHITECTURE_*. SM counts
and PCI device ids are the public product specs."""
from __future__ import annotations
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
  name: str
  pci_device: int
  sm: int                  # NV2080_CTRL_GR_INFO_SM_VERSION_*: 0x900 for sm_90
  sms: int
  gpcs: int                # LITTER_NUM_GPCS
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
  pci_subsystem: int = 0x16C110DE
  @property
  def sm_name(self) -> str: return f"sm_{self.sm >> 8}{self.sm & 0xFF}"            # 0x900 -> sm_90, 0x809 -> sm_89, 0xA00 -> sm_100
  @property
  def sass_version(self) -> int: return ((self.sm & 0xF00) >> 4) | (self.sm & 0xF)   # QMD SASS_VERSION: 0x90, 0x89, 0xA0
  @property
  def classes(self) -> list[int]:
    own = {self.gpfifo_class, self.compute_class, self.copy_class, self.usermode_class, *self.extra_classes.values()}
    return sorted(set(COMMON.values()) | own)
  @property
  def tpcs(self) -> int: return self.sms // self.sm_per_tpc

GiB = 1 << 30
IDENTITIES = {
  "h100": Identity("h100", "NVIDIA H100 80GB HBM3", 0x2330, 0x900, 132, 8, 9, 2, 64, 0x180, 0x0, 80 * GiB, 50 << 20,
                   0xC86F, 0xCBC0, 0xC8B5, 0xC661, "V04_00",
                   {"HOPPER_A": 0xCB97, "HOPPER_SEC2_WORK_LAUNCH_A": 0xCBA2, "KEPLER_INLINE_TO_MEMORY_B": 0xA140,
                    "NV_CONFIDENTIAL_COMPUTE": 0xCB33}),
  "a100": Identity("a100", "NVIDIA A100-SXM4-80GB", 0x20B2, 0x800, 108, 8, 8, 2, 64, 0x170, 0x0, 80 * GiB, 40 << 20,
                   0xC56F, 0xC6C0, 0xC6B5, 0xC561, "V03_00", {"AMPERE_A": 0xC697, "KEPLER_INLINE_TO_MEMORY_B": 0xA140}),
  "l40": Identity("l40", "NVIDIA L40", 0x26B5, 0x809, 142, 12, 6, 2, 48, 0x190, 0x2, 48 * GiB, 96 << 20,
                  0xC56F, 0xC9C0, 0xC7B5, 0xC561, "V03_00", {"ADA_A": 0xC997, "KEPLER_INLINE_TO_MEMORY_B": 0xA140}),
  "b200": Identity("b200", "NVIDIA B200", 0x2901, 0xA00, 148, 8, 10, 2, 64, 0x1A0, 0x0, 180 * GiB, 126 << 20,
                   0xC96F, 0xCDC0, 0xC9B5, 0xC761, "V05_00",
                   {"HOPPER_CHANNEL_GPFIFO_A": 0xC86F, "HOPPER_USERMODE_A": 0xC661, "BLACKWELL_A": 0xCD97,
                    "BLACKWELL_INLINE_TO_MEMORY_A": 0xCD40}),
}
ALIASES = {"hopper": "h100", "gh100": "h100", "sm_90": "h100", "ampere": "a100", "ga100": "a100", "sm_80": "a100",
           "ada": "l40", "ad102": "l40", "sm_89": "l40", "blackwell": "b200", "gb100": "b200", "sm_100": "b200"}

def identity(name: str = "h100") -> Identity:
  k = ALIASES.get(name.lower(), name.lower())
  if k not in IDENTITIES:
    from hwrt.errors import BadArgument
    raise BadArgument(f"unknown simulated NVIDIA GPU {name!r} (know {', '.join(IDENTITIES)} and {', '.join(ALIASES)})")
  return IDENTITIES[k]

DRIVER_VERSION = "580.142"       # the 580 branch the ABI tables describe (shared/research/nvidia_rm_abi.md header)
UUID_PREFIX = bytes.fromhex("6877727473696d")   # "hwrtsim": the 16-byte GPU UUID starts with it
