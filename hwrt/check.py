"""The `--check` expression language: a small, closed language over the launch's arguments, evaluated from the parsed AST.

  c == a + b                       (== between floats means isclose, rtol 1e-5 atol 1e-6, NaN equals NaN)
  allclose(c, a * 2, rtol=1e-3)    np.allclose and bare allclose are the same function
  all(c >= 0) and sum(c) > 0 and not any(isnan(c))

Allowed: the --arg names, numeric literals (|x| < 2**63), pi e inf nan True False, + - * / // % ** (constant exponents
|k| <= 64), unary - + not, comparisons (chained), and/or, x[i] and x[i:j:k] with constant indices, and calls of the
functions in FUNCS (bare or as np.NAME / numpy.NAME) with the keywords in KEYWORDS. Nothing else parses: no other names,
attributes, calls, lambdas, comprehensions, strings. Every value is a numpy array or scalar, so nothing grows without
bound (Python's unbounded ints never appear). The result must be boolean (an array passes when all of it is true).
`compile_check(text, names)` validates before the launch; `Check.evaluate(env) -> (ok, why)` runs it."""
from __future__ import annotations
import ast, operator
import numpy as np
from hwrt.errors import BadArgument

MAX_TEXT, MAX_NODES, MAX_EXPONENT, MAX_INT = 4096, 400, 64, 1 << 63
CONSTANTS = {"pi": np.pi, "e": np.e, "inf": np.inf, "nan": np.nan, "True": np.True_, "False": np.False_}
# name -> number of positional arguments (all arrays or numbers: no axis=, decimals= or dtype arguments to abuse)
ARITY = {**{n: 1 for n in ("abs", "fabs", "sqrt", "exp", "log", "log2", "log10", "sin", "cos", "tan", "tanh", "floor", "ceil", "round",
                           "all", "any", "sum", "mean", "min", "max", "isnan", "isinf", "isfinite", "sign", "count_nonzero", "logical_not")},
         **{n: 2 for n in ("minimum", "maximum", "isclose", "allclose", "array_equal", "logical_and", "logical_or")}, "where": 3, "clip": 3}
FUNCS = {n: getattr(np, n) for n in ARITY}
KEYWORDS = {"rtol", "atol", "equal_nan"}
CLOSE = dict(rtol=1e-5, atol=1e-6, equal_nan=True)
BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
CMPOPS = {ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}
UNOPS = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: np.logical_not}

def _eq(a, b):
  a, b = np.asarray(a), np.asarray(b)
  if a.dtype.kind in "fc" or b.dtype.kind in "fc": return np.isclose(a, b, **CLOSE)
  return a == b

def _literal(v, where: str):
  if isinstance(v, bool): return np.bool_(v)
  if isinstance(v, int):
    if not -MAX_INT <= v < MAX_INT: raise BadArgument(f"{where}: integer literal {v} does not fit 64 bits")
    return np.int64(v)
  if isinstance(v, float): return np.float64(v)
  raise BadArgument(f"{where}: only numbers are allowed, not {type(v).__name__} literals")

def _const_index(n: ast.AST, where: str):
  if isinstance(n, ast.Slice):
    return slice(*(None if p is None else _const_index(p, where) for p in (n.lower, n.upper, n.step)))
  if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub): return -_const_index(n.operand, where)
  if isinstance(n, ast.Constant) and type(n.value) is int and abs(n.value) < MAX_INT: return n.value
  raise BadArgument(f"{where}: an index must be a constant integer or slice")

class Check:
  def __init__(self, text: str, names: set[str]):
    where = f"--check {text!r}"
    self.text, self.where, self.names = text, where, set(names)
    if not text.strip(): raise BadArgument("--check is empty: give an expression such as \"c == a + b\"")
    if len(text) > MAX_TEXT: raise BadArgument(f"--check is {len(text)} characters; at most {MAX_TEXT}")
    try: self.tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as e: raise BadArgument(f"{where}: syntax error at column {e.offset or 0}: {e.msg}") from None
    except (RecursionError, MemoryError, ValueError): raise BadArgument(f"{where}: too deeply nested") from None
    try: nodes = list(ast.walk(self.tree))
    except RecursionError: raise BadArgument(f"{where}: too deeply nested") from None
    if len(nodes) > MAX_NODES: raise BadArgument(f"{where}: {len(nodes)} syntax nodes; at most {MAX_NODES}")
    try: self._validate(self.tree)
    except RecursionError: raise BadArgument(f"{where}: too deeply nested") from None
    self.used = {n.id for n in nodes if isinstance(n, ast.Name) and n.id in self.names}   # the arguments it reads

  def _fname(self, f: ast.AST) -> str:
    if isinstance(f, ast.Name) and f.id in FUNCS and f.id not in self.names: return f.id
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in ("np", "numpy") and f.attr in FUNCS: return f.attr
    shown = ast.unparse(f) if len(ast.unparse(f)) < 60 else "that"
    raise BadArgument(f"{self.where}: cannot call {shown}: the functions are {' '.join(sorted(FUNCS))}")

  def _validate(self, n: ast.AST):
    w = self.where
    if isinstance(n, ast.Name):
      if n.id not in self.names and n.id not in CONSTANTS:
        raise BadArgument(f"{w}: unknown name {n.id!r} (the arguments are {' '.join(sorted(self.names)) or 'none'})")
    elif isinstance(n, ast.Constant): _literal(n.value, w)
    elif isinstance(n, ast.BinOp):
      if type(n.op) not in BINOPS: raise BadArgument(f"{w}: operator {type(n.op).__name__} is not allowed")
      if isinstance(n.op, ast.Pow):
        k = n.right.operand if isinstance(n.right, ast.UnaryOp) and isinstance(n.right.op, (ast.USub, ast.UAdd)) else n.right
        if not (isinstance(k, ast.Constant) and type(k.value) in (int, float) and abs(k.value) <= MAX_EXPONENT):
          raise BadArgument(f"{w}: the exponent of ** must be a number constant of at most {MAX_EXPONENT}")
      self._validate(n.left); self._validate(n.right)
    elif isinstance(n, ast.UnaryOp):
      if type(n.op) not in UNOPS: raise BadArgument(f"{w}: operator {type(n.op).__name__} is not allowed")
      self._validate(n.operand)
    elif isinstance(n, ast.BoolOp):
      for v in n.values: self._validate(v)
    elif isinstance(n, ast.Compare):
      for op in n.ops:
        if type(op) not in CMPOPS and not isinstance(op, ast.Eq): raise BadArgument(f"{w}: comparison {type(op).__name__} is not allowed")
      for v in [n.left, *n.comparators]: self._validate(v)
    elif isinstance(n, ast.Call):
      name = self._fname(n.func)
      if len(n.args) != ARITY[name]: raise BadArgument(f"{w}: {name} takes {ARITY[name]} argument(s), not {len(n.args)}")
      for a in n.args:
        if isinstance(a, ast.Starred): raise BadArgument(f"{w}: *arguments are not allowed")
        self._validate(a)
      for k in n.keywords:
        if k.arg not in KEYWORDS: raise BadArgument(f"{w}: keyword {k.arg or '**'} is not allowed (only {' '.join(sorted(KEYWORDS))})")
        self._validate(k.value)
    elif isinstance(n, ast.Subscript):
      self._validate(n.value); _const_index(n.slice, w)
    else: raise BadArgument(f"{w}: {type(n).__name__} is not part of the --check language")

  def _ev(self, n: ast.AST, env: dict):
    if isinstance(n, ast.Name): return env[n.id] if n.id in env else CONSTANTS[n.id]
    if isinstance(n, ast.Constant): return _literal(n.value, self.where)
    if isinstance(n, ast.BinOp): return BINOPS[type(n.op)](np.asarray(self._ev(n.left, env)), np.asarray(self._ev(n.right, env)))
    if isinstance(n, ast.UnaryOp): return UNOPS[type(n.op)](self._ev(n.operand, env))
    if isinstance(n, ast.BoolOp):
      f = np.logical_and if isinstance(n.op, ast.And) else np.logical_or
      v = self._ev(n.values[0], env)
      for x in n.values[1:]: v = f(v, self._ev(x, env))
      return v
    if isinstance(n, ast.Compare):
      vals, out = [self._ev(x, env) for x in [n.left, *n.comparators]], None
      for op, a, b in zip(n.ops, vals, vals[1:]):
        r = _eq(a, b) if isinstance(op, ast.Eq) else CMPOPS[type(op)](np.asarray(a), np.asarray(b))
        out = r if out is None else np.logical_and(out, r)
      return out
    if isinstance(n, ast.Call):
      kw = {k.arg: self._ev(k.value, env) for k in n.keywords}
      return FUNCS[self._fname(n.func)](*[self._ev(a, env) for a in n.args], **kw)
    if isinstance(n, ast.Subscript): return np.asarray(self._ev(n.value, env))[_const_index(n.slice, self.where)]
    raise BadArgument(f"{self.where}: {type(n).__name__} is not part of the --check language")

  def value(self, env: dict):
    try:
      with np.errstate(all="ignore"): v = np.asarray(self._ev(self.tree, env))
    except BadArgument: raise
    except (ValueError, TypeError, IndexError, ZeroDivisionError, OverflowError, MemoryError, RecursionError) as e:
      raise BadArgument(f"{self.where}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None
    if v.dtype != np.bool_:
      raise BadArgument(f"{self.where}: the result is {v.dtype} {'array' if v.ndim else 'value'}, not a comparison (true/false)")
    return v

  def evaluate(self, env: dict) -> tuple[bool, str]:
    v = self.value(env)
    if v.all(): return True, ""
    with np.errstate(all="ignore"): return False, self._why(v, env)

  def _why(self, v, env) -> str:
    flat = v.reshape(-1)
    bad = np.flatnonzero(~flat)
    t = self.tree
    eq = isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.Eq)
    i, why = int(bad[0]), f"{len(bad)} of {flat.size} elements {'differ' if eq else 'false'}" if flat.size > 1 else "expression is false"
    if isinstance(t, ast.Compare) and len(t.ops) == 1 and flat.size > 1:
      try:
        l, r = (np.broadcast_to(np.asarray(self._ev(x, env)), v.shape).reshape(-1)[i] for x in (t.left, t.comparators[0]))
        why += f"; first at [{i}]: {l.item()!r} vs {r.item()!r}"
      except (ValueError, IndexError): why += f"; first at [{i}]"
    elif flat.size > 1: why += f"; first at [{i}]"
    return why

def compile_check(text: str | None, names) -> Check | None:
  return None if text is None else Check(text, set(names))
