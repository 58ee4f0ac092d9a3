"""Seeds and mutators for the CLI fuzz suite (tests/fuzz/test_fuzz_cli.py). Every case is a pure function of (seed, target,
index): `random.Random(f"{seed}:{target}:{index}")` drives it, so one failing case reruns alone."""
import json, os, random, struct

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
INTERESTING = [0, 1, 2, 7, 8, 15, 16, 24, 63, 64, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 40,
               (1 << 63) - 1, (1 << 64) - 1]

RDNA3_SRC = """.text
.globl vadd
.p2align 8
vadd:
  s_load_b128 s[4:7], s[0:1], null
  s_load_b64 s[0:1], s[0:1], 0x10
  v_lshlrev_b32_e32 v0, 2, v0
  s_waitcnt lgkmcnt(0)
  global_load_b32 v1, v0, s[4:5]
  global_load_b32 v2, v0, s[6:7]
  s_waitcnt vmcnt(0)
  v_add_f32_e32 v1, v1, v2
  global_store_b32 v0, v1, s[0:1]
  s_endpgm
.rodata
.amdhsa_kernel vadd
  .amdhsa_next_free_vgpr 3
  .amdhsa_next_free_sgpr 8
  .amdhsa_user_sgpr_kernarg_segment_ptr 1
  .amdhsa_kernarg_size 24
  .hwrt_arg a, 0, 8, global_buffer
  .hwrt_arg b, 8, 8, global_buffer
  .hwrt_arg c, 16, 8, global_buffer
.end_amdhsa_kernel
"""

def sass_sources() -> list[str]:
  d = os.path.join(TESTS, "examples")
  return [open(os.path.join(d, f)).read() for f in sorted(os.listdir(d)) if f.endswith(".s")]

def kernel_logs() -> list[str]:
  d = os.path.join(TESTS, "kernel_logs")
  out = []
  for f in sorted(os.listdir(d)):
    if f.endswith(".jsonl"): out += [json.loads(l)["log"] for l in open(os.path.join(d, f)) if l.strip()]
  return out

def journal_records(rng: random.Random) -> list[dict]:
  t = 1.7e9
  recs = [{"t": "start", "time": t, "version": 1, "config": {"cmd": None, "workload": "launch-loop", "procs": 2, "iterations": 3,
           "deadline": 5.0, "device": "sim:nv", "seed": 7, "env": [], "ops": 4}, "system": {"kernel": "6.8.0", "host": "h"}}]
  for i in range(rng.randrange(1, 6)):
    recs.append({"t": "progress", "time": t + i, "workers": {"0": {"done": i, "restarts": 0}, "1": {"done": i, "restarts": 1}}})
    recs.append({"t": "event", "time": t + i + 0.5, "event": {"kind": rng.choice(["xid", "hang", "crash", "workload_error"]),
                 "signature": rng.choice(["NVRM: Xid 31", "hang: iteration over its deadline", "GPU fault in launch"]),
                 "severity": "error", "vendor": "nv", "worker": rng.randrange(2), "iteration": i, "line": "NVRM: Xid (PCI:0000:01:00): 31"}})
  recs.append({"t": "end", "time": t + 9, "reason": "iterations done", "harness_cpu": {"seconds": 1.0, "wall": 9.0, "percent_of_one_core": 11.0}})
  return recs

def trace_records(rng: random.Random) -> list[dict]:
  recs = [{"t": 1.7e9, "pid": 100, "tid": 100, "call": "process", "argv": ["prog"], "exe": "/bin/prog"}]
  for i in range(rng.randrange(1, 8)):
    recs.append({"t": 1.7e9 + i, "pid": 100, "tid": 100 + i % 2, "call": rng.choice(["open", "ioctl", "mmap", "close"]), "fd": 3 + i,
                 "path": "/dev/nvidiactl", "request": 0xC020462A, "ret": 0, "errno": 0, "name": "NV_ESC_RM_ALLOC", "arg": {"hClass": 0x41}})
  return recs

# ---- mutators
def mutate_bytes(data: bytes, rng: random.Random, n: int | None = None) -> bytes:
  b = bytearray(data)
  for _ in range(n or rng.choice([1, 1, 2, 3, 8])):
    op = rng.randrange(7)
    if not b: b += bytes([rng.randrange(256)]); continue
    i = rng.randrange(len(b))
    if op == 0: b[i] ^= 1 << rng.randrange(8)
    elif op == 1: b[i] = rng.choice([0, 0xFF, 0x7F, 0x80, 0x0A, 0x22, 0x7B, 0x5B])
    elif op == 2 and len(b) > i + 8: struct.pack_into("<Q", b, i, rng.choice(INTERESTING))
    elif op == 3 and len(b) > i + 4: struct.pack_into("<I", b, i, rng.choice(INTERESTING) & 0xFFFFFFFF)
    elif op == 4: del b[i:i + rng.randrange(1, 64)]
    elif op == 5: j = rng.randrange(len(b)); b[i:i] = b[j:j + rng.randrange(1, 64)]
    else: del b[rng.randrange(len(b)):]
  return bytes(b)

def mutate_elf(data: bytes, rng: random.Random) -> bytes:
  """Mostly header and section-header fields (where readers go wrong), sometimes anywhere."""
  if rng.random() < 0.3 or len(data) < 64: return mutate_bytes(data, rng)
  b = bytearray(data)
  shoff, shnum = struct.unpack_from("<Q", b, 0x28)[0], struct.unpack_from("<H", b, 0x3C)[0]
  for _ in range(rng.choice([1, 1, 2, 3])):
    if rng.random() < 0.25:                                  # an ELF header field
      off, size = rng.choice([(0x10, 2), (0x12, 2), (0x20, 8), (0x28, 8), (0x30, 4), (0x36, 2), (0x38, 2), (0x3A, 2), (0x3C, 2), (0x3E, 2)])
    elif shnum and shoff + 64 * shnum <= len(b):            # a section header field
      i = rng.randrange(shnum)
      off, size = rng.choice([(0, 4), (4, 4), (8, 8), (0x10, 8), (0x18, 8), (0x20, 8), (0x28, 4), (0x2C, 4), (0x30, 8), (0x38, 8)])
      off += shoff + 64 * i
    else: return mutate_bytes(bytes(b), rng)
    v = rng.choice(INTERESTING + [rng.randrange(1 << (8 * size))]) & ((1 << (8 * size)) - 1)
    b[off:off + size] = v.to_bytes(size, "little")
  return bytes(b)

def mutate_text(text: str, rng: random.Random) -> str:
  lines = text.splitlines()
  for _ in range(rng.choice([1, 1, 2, 4])):
    if not lines: lines = [""]
    i, op = rng.randrange(len(lines)), rng.randrange(8)
    if op == 0: del lines[i]
    elif op == 1: lines.insert(i, lines[rng.randrange(len(lines))])
    elif op == 2:
      toks = lines[i].split()
      if toks: toks[rng.randrange(len(toks))] = rng.choice(["R255", "P9", "@P9", "UR99", "0xffffffffffffffffff", "-1", "c[0x0][0x99999]",
                                                             ".regs", "9999999999", "", ";", ",", "[", "desc[UR4][R2.64]", "s[0:999]", "v9999"])
      lines[i] = " ".join(toks)
    elif op == 3: lines.insert(i, rng.choice([".kernel vadd", ".regs 100000", ".param 99999999999", ".param 8 @0x7fffffff", ".shared -1",
                                             ".amdhsa_kernel vadd", ".end_amdhsa_kernel", ".hwrt_arg x, 999999999999, 8, global_buffer",
                                             ".amdhsa_next_free_vgpr 99999", "@P9 EXIT ;", "\0", "\ufeff.kernel k", "BRA .nowhere ;"]))
    elif op == 4 and lines[i]: j = rng.randrange(len(lines[i])); lines[i] = lines[i][:j] + lines[i][j + rng.randrange(1, 8):]
    elif op == 5: lines[i] = lines[i] * rng.choice([2, 50])
    elif op == 6: lines = lines[:i]
    else: lines[i] = lines[i].upper() if rng.random() < 0.5 else lines[i].lower()
  return "\n".join(lines) + "\n"

def mutate_jsonl(recs: list[dict], rng: random.Random) -> bytes:
  """Field-type swaps, deletions and deep nesting on structured records; sometimes raw byte damage on the serialized text."""
  recs = json.loads(json.dumps(recs))
  hostile = [None, True, -1, 1e308, float("nan"), "x", "", [], {}, [1, [2, [3]]], {"a": {"b": 1}}, 1 << 70, "\u202e", "9" * 400]
  for _ in range(rng.choice([1, 2, 3, 6])):
    r = rng.choice(recs)
    path = [r]
    while isinstance(path[-1], dict) and path[-1] and rng.random() < 0.5:
      v = path[-1][rng.choice(list(path[-1]))]
      if not isinstance(v, dict): break
      path.append(v)
    d = path[-1]
    if not isinstance(d, dict) or not d: continue
    k = rng.choice(list(d))
    op = rng.randrange(4)
    if op == 0: d[k] = rng.choice(hostile)
    elif op == 1: del d[k]
    elif op == 2: d[k] = json.loads("[" * 40 + "1" + "]" * 40)
    else: d[rng.choice(["t", "time", "event", "workers", "config", "pid", "call"])] = rng.choice(hostile)
  text = "".join(json.dumps(r, allow_nan=True) + "\n" for r in recs).encode()
  r = rng.random()
  if r < 0.2: text = mutate_bytes(text, rng)
  elif r < 0.25: text += b"[" * 50000 + b"\n"
  elif r < 0.3: text = text.replace(b"\n", b"", 1)
  return text

# ---- --check expressions: hostile ones (all must be refused, exit 2) and valid ones built from a grammar (exit 0 or 1)
HOSTILE = ["__import__('os').system('touch owned')", "np.ctypeslib.ctypes.CDLL(None).system(b'touch owned')",
           "np.save('owned', c)", "np.savetxt('owned', c)", "c.tofile('owned')", "open('owned','w').write('x')", "exec('1')", "eval('1')",
           "globals()", "locals()", "vars()", "().__class__.__bases__[0].__subclasses__()", "(lambda: 0)()", "[i for i in c]",
           "{1: 2}", "{1}", "f'{c}'", "'a' * 9**9", "b'x'", "c.__array_interface__", "np.lib", "np.load('x')", "np.fromfile('/etc/passwd')",
           "np.memmap('owned', mode='w+', shape=1)", "getattr(np, 'save')", "np.__dict__", "type(c)", "c.dtype", "c.shape == (256,)",
           "a if b else c", "(x := 1)", "c @ c", "c << 2", "c | a", "~c", "np.all(c) == True and np.os", "numpy.os.system('id')",
           "9**9**9**9", "2**99999999", "a ** 1e9", "1e308 * 1e308 > 0 and np.arange(10**12)", "np.ones(10**12)", "np.zeros((9**9, 9**9))",
           "np.empty(1 << 62)", "np.tile(c, 10**9)", "np.repeat(c, 10**9)", "", " ", "c", "1", "a + b", "np.sum(c)", "abs(c)", "pi",
           "(" * 200 + "c" + ")" * 200, "not " * 500 + "c", "c[" + "0][" * 100 + "0]", "c == c " + "and c == c " * 300,
           "c == a + b\nimport os", "c == a + b; import os", "\\", "c == nope", "allclose(c, a, rtol=np)",
           "allclose(c, a, **{'rtol': 1})", "allclose(*[c, a])", "np.where(c > 0)", "c[1:2:0] == 1", "c[10**30] == 1", "c['a'] == 1",
           "c[None] == 1", "sum(c, c) > 0", "min(c, 5) > 0", "np.round(c, 10**9) == c"]
GOOD_LEAVES = ["a", "b", "c", "n", "1", "0.5", "2", "pi", "-3", "1e-3", "nan", "inf"]
GOOD_FUNCS = ["abs", "sqrt", "exp", "log", "floor", "np.minimum", "maximum", "np.abs", "sin", "tanh"]
GOOD_REDUCE = ["all", "any", "np.all", "np.any"]

def good_expression(rng: random.Random, depth: int = 0) -> str:
  def arith(d):
    r = rng.random()
    if d > 3 or r < 0.3: return rng.choice(GOOD_LEAVES)
    if r < 0.6: return f"({arith(d + 1)} {rng.choice(['+', '-', '*', '/', '//', '%'])} {arith(d + 1)})"
    if r < 0.7: return f"({arith(d + 1)} ** {rng.choice(['2', '-1', '0.5', '3'])})"
    if r < 0.8: return f"-{arith(d + 1)}"
    f = rng.choice(GOOD_FUNCS)
    return f"{f}({arith(d + 1)}, {arith(d + 1)})" if f in ("np.minimum", "maximum") else f"{f}({arith(d + 1)})"
  def boolean(d):
    r = rng.random()
    if d > 2 or r < 0.5: return f"{arith(d)} {rng.choice(['==', '!=', '<', '<=', '>', '>='])} {arith(d)}"
    if r < 0.7: return f"({boolean(d + 1)}) {rng.choice(['and', 'or'])} ({boolean(d + 1)})"
    if r < 0.8: return f"not ({boolean(d + 1)})"
    if r < 0.9: return f"{rng.choice(GOOD_REDUCE)}({boolean(d + 1)})"
    return f"allclose({arith(d + 1)}, {arith(d + 1)}, rtol={rng.choice(['1e-3', '0.1', '0'])})"
  return boolean(depth)

def hostile_expression(rng: random.Random) -> str:
  e = rng.choice(HOSTILE)
  if rng.random() < 0.3: e = f"{good_expression(rng)} and {e}"
  elif rng.random() < 0.2: e = mutate_text(e, rng).strip()
  return e
