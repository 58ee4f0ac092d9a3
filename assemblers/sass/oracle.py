"""nvdisasm as an oracle with an on-disk answer cache: word -> text, or None where nvdisasm rejects it. Maintainer/test use only.

nvdisasm (`-b SM90`, raw little-endian 128-bit words) aborts the whole input at the first word it rejects
("Unrecognized operation ... at address 0x.."), printing nothing. So a batch is scanned for rejections first (each rejection
costs one nvdisasm start; the scan restarts after the rejected word, and the words before it are known good), then all
good words are disassembled in one call. Every answer is appended to `<cache>/nvdisasm-SM90.tsv` (`hex word<TAB>text
<TAB>address it was disassembled at`, text `!` = rejected), so relearning and the property tests only pay for words never
asked before. Branch targets print as absolute addresses: `addr_of(word)` says where the cached text was disassembled."""
import os, re, subprocess, tempfile
from concurrent.futures import ThreadPoolExecutor
from hwrt import oracles

NOP = 0x000fc000000000000000000000007918
ADDR = re.compile(r"at address 0x([0-9a-f]+)")
LINE = re.compile(r"^\s*/\*([0-9a-f]{4,})\*/\s*(.*?)\s*;?\s*$")

def default_cache_dir() -> str:
  return os.environ.get("HWRT_NVDISASM_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "hwrt")

class Nvdisasm:
  def __init__(self, arch: str = "sm_90", cache_dir: str | None = None, jobs: int = 2):
    self.sm = "SM" + arch.split("_")[1].upper()
    self.tool = oracles.find("nvdisasm")
    if self.tool is None: raise RuntimeError(f"nvdisasm not found ({oracles.INSTALL_HINT['nvdisasm']})")
    self.dir = cache_dir or default_cache_dir()
    os.makedirs(self.dir, exist_ok=True)
    self.path = os.path.join(self.dir, f"nvdisasm-{self.sm}.tsv")
    self.jobs, self.calls = jobs, 0
    self.known: dict[int, str | None] = {}
    self.addr: dict[int, int] = {}
    if os.path.exists(self.path):
      with open(self.path) as f:
        for line in f:
          w, t, *a = line.rstrip("\n").split("\t") + ["", ""]
          if len(w) != 32 or not (t == "!" or a[0]): continue     # a line cut by a concurrent writer
          try: self.known[int(w, 16)] = None if t == "!" else t
          except ValueError: continue
          if a[0]: self.addr[int(w, 16)] = int(a[0], 16)

  def _run(self, words: list[int], d: str, tag: str):
    f = os.path.join(d, f"{tag}.bin")
    with open(f, "wb") as fh: fh.write(b"".join(w.to_bytes(16, "little") for w in words))
    self.calls += 1
    r = subprocess.run([self.tool, "-b", self.sm, f], capture_output=True, text=True)
    if r.returncode == 0:
      out = [None] * len(words)
      for line in r.stdout.splitlines():
        m = LINE.match(line)
        if m and int(m.group(1), 16) % 16 == 0 and int(m.group(1), 16) // 16 < len(words):
          out[int(m.group(1), 16) // 16] = m.group(2).strip()
      return True, out
    a = ADDR.findall(r.stderr)
    return False, int(a[0], 16) // 16 if a else None

  def _scan(self, words: list[int], tag: str) -> set:
    """Indices nvdisasm rejects (one start per rejection)."""
    bad, pos = set(), 0
    with tempfile.TemporaryDirectory() as d:
      while pos < len(words):
        ok, res = self._run(words[pos:], d, tag)
        if ok: break
        if res is None:                      # an error without an address: ask one by one
          for i in range(pos, len(words)):
            if not self._run([words[i]], d, tag)[0]: bad.add(i)
          break
        bad.add(pos + res); pos += res + 1
    return bad

  def _append(self, lines):
    fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)   # one append: other processes share the file
    try: os.write(fd, "".join(lines).encode())
    finally: os.close(fd)

  def ask(self, words) -> list:
    """Text (None = rejected) for each word; unknown words are asked in parallel chunks and cached (rejections as soon
    as a chunk is scanned, so an interrupted run keeps what it paid for)."""
    words = list(words)
    todo = sorted({w for w in words if w not in self.known})
    if todo:
      # one nvdisasm start costs far more than disassembling a few thousand words, and a rejection restarts the scan just
      # after it: big chunks when rejections are rare (flips, random operands), small ones for an opcode sweep
      chunk = max(64, min(4096, len(todo) // self.jobs + 1))
      parts = [todo[i:i + chunk] for i in range(0, len(todo), chunk)]
      def scan(a):
        b = self._scan(a[1], f"s{a[0]}")
        self._append([f"{a[1][i]:032x}\t!\n" for i in sorted(b)])
        return b
      with ThreadPoolExecutor(self.jobs) as ex: bads = list(ex.map(scan, enumerate(parts)))
      good = [w for p, b in zip(parts, bads) for i, w in enumerate(p) if i not in b]
      for p, b in zip(parts, bads):
        for i in b: self.known[p[i]] = None
      texts = {}
      with tempfile.TemporaryDirectory() as d:
        for i in range(0, len(good), 50000):
          ok, out = self._run(good[i:i + 50000], d, "all")
          if not ok: raise RuntimeError("nvdisasm rejected a batch its scan accepted")
          texts.update(zip(good[i:i + 50000], out))
          self.addr.update((w, 16 * j) for j, w in enumerate(good[i:i + 50000]))
      lines = []
      for w in good:
        t = texts.get(w)
        self.known[w] = t; lines.append(f"{w:032x}\t{t if t is not None else '!'}\t{self.addr[w]:x}\n")
      self._append(lines)
    return [self.known[w] for w in words]

  def addr_of(self, word: int):
    """The address the cached text of `word` was disassembled at (None: not recorded)."""
    return self.addr.get(word)

  def at(self, words: list[int], base: int) -> list:
    """Texts of known-good words disassembled at base, base+16, ... (uncached: for pc-relative operands)."""
    with tempfile.TemporaryDirectory() as d:
      f = os.path.join(d, "at.bin")
      with open(f, "wb") as fh: fh.write(b"".join(w.to_bytes(16, "little") for w in words))
      r = subprocess.run([self.tool, "-b", self.sm, "-base", hex(base), f], capture_output=True, text=True)
      if r.returncode: raise RuntimeError(f"nvdisasm: {r.stderr.strip()[:200]}")
      out = [None] * len(words)
      for line in r.stdout.splitlines():
        m = LINE.match(line)
        if m and (int(m.group(1), 16) - base) // 16 < len(words): out[(int(m.group(1), 16) - base) // 16] = m.group(2).strip()
      return out

  def raw(self, words: list[int], base: int = 0) -> list:
    """Text of each word disassembled at base + 16*i (None where nvdisasm rejects it): validity from the cache, then
    one call per 50000 words at the real addresses (branch targets print absolute)."""
    ok = self.ask(words)
    out = []
    for i in range(0, len(words), 50000):
      part = [w if t is not None else NOP for w, t in zip(words[i:i + 50000], ok[i:i + 50000])]
      out += [t if k is not None else None for t, k in zip(self.at(part, base + 16 * i), ok[i:i + 50000])]
    return out
