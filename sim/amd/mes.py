"""The simulated MES (the firmware scheduler amdgpu asks to add and remove user queues) and its planted bug.

State shared by every process that uses the simulated AMD GPU lives in $HWRT_SIM_DIR/amd-mes (one line: generation, number of
queue add/remove messages since the last reset, and the pids that sent them), under an flock, as the one firmware is shared.

HWRT_SIM_BUGS=mes-queue-churn: once CHURN add/remove messages have come from two or more processes since the last reset, MES
stops answering: the message that crosses the line fails with the lines amdgpu_mes.c / mes_v11_0.c print
("MES failed to respond to msg=REMOVE_QUEUE", "failed to remove hardware queue from MES"), amdgpu resets the GPU (MODE1) and
every process's queues die (each process's CP sees the new generation and raises its HW exception event). Deterministic:
it depends only on the count and the pids, never on timing."""
from __future__ import annotations
import fcntl, os, time
from hwrt.sim import kmsg
from hwrt.sim.amd import identity as I

CHURN = 24

def _path() -> str: return os.path.join(kmsg.sim_dir(), "amd-mes")

def _update(fn):
  with open(_path(), "a+") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    try:
      f.seek(0); parts = (f.read().split() + ["0", "0", ""])[:3]
      gen, n, pids = int(parts[0]), int(parts[1]), set(filter(None, parts[2].split(",")))
      gen, n, pids, out = fn(gen, n, pids)
      f.seek(0); f.truncate(); f.write(f"{gen} {n} {','.join(sorted(pids)) or '-'}\n"); f.flush()
      return out
    finally: fcntl.flock(f, fcntl.LOCK_UN)

def generation() -> int:
  try:
    with open(_path()) as f: return int((f.read().split() or ["0"])[0])
  except (OSError, ValueError): return 0

def _message(gpu, msg: str) -> bool:
  if not gpu.m.plan.bug("mes-queue-churn"):
    return True
  pid = str(os.getpid())
  def step(gen, n, pids):
    pids = (pids - {"-"}) | {pid}
    n += 1
    if n >= CHURN and len(pids) >= 2: return gen + 1, 0, set(), False
    return gen, n, pids, True
  ok = _update(step)
  if not ok:
    pre = f"amdgpu {I.PCI_BDF}: amdgpu:"
    for line in (f"{pre} MES failed to respond to msg={msg}",
                 f"{pre} failed to {'remove' if msg == 'REMOVE_QUEUE' else 'add'} hardware queue {'from' if msg == 'REMOVE_QUEUE' else 'to'} MES, doorbell=0x1002",
                 f"{pre} MES might be in unrecoverable state, issue a GPU reset"):
      kmsg.log(line, prio=3)
    gpu.seen_gen = generation()
    gpu.reset(f"MES failed to respond to msg={msg}", mode1=True)
  return ok

def add_queue(gpu, kfd) -> bool: return _message(gpu, "ADD_QUEUE")
def remove_queue(gpu, kfd) -> bool: return _message(gpu, "REMOVE_QUEUE")

def poll(gpu) -> None:
  """every process's CP notices a reset another process's MES message caused (checked every 20 ms)"""
  if not gpu.m.plan.bug("mes-queue-churn"): return
  now = time.monotonic()
  if now - getattr(gpu, "mes_checked", 0) < 0.02: return
  gpu.mes_checked = now
  g = generation()
  if not hasattr(gpu, "seen_gen"): gpu.seen_gen = g; return
  if g > gpu.seen_gen:
    gpu.seen_gen = g
    with gpu.lock: qs = list(gpu.queues)
    for kfd, q in qs:
      q.hung, q.error = True, "GPU reset (MES)"
      kfd.signal_exception(3, {"cause": 0, "memory_lost": True})          # KFD_IOC_EVENT_HW_EXCEPTION
