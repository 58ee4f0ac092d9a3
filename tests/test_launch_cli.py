"""`hwrt launch` argument grammar and --check semantics (no device needed)."""
import numpy as np, pytest
from hwrt.errors import BadArgument
from hwrt.launch import Arg, evaluate_check, _dims, _to_bf16, _from_bf16

def rng(): return np.random.default_rng(0)

def test_buffer_and_scalar_specs():
  a = Arg("a=f32[8]:arange", rng())
  assert a.is_buffer and a.host.dtype == np.float32 and list(a.host) == list(range(8))
  z = Arg("z=i16[3]:zeros", rng())
  assert z.host.dtype == np.int16 and not z.host.any()
  s = Arg("n=u32:0x10", rng())
  assert not s.is_buffer and s.value() == 16 and s.host.dtype == np.uint32
  f = Arg("alpha=f64:2.5", rng())
  assert f.value() == 2.5 and f.host.tobytes() == np.float64(2.5).tobytes()

def test_bf16_roundtrip_rounds_to_nearest_even():
  x = np.array([1.0, 3.140625, 1.00390625, -2.0], np.float32)
  b = _to_bf16(x)
  assert b.dtype == np.uint16 and list(_from_bf16(b)) == [1.0, 3.140625, 1.0, -2.0]   # 1+2^-8 is a tie -> even (1.0)

def test_npy_source(tmp_path):
  p = tmp_path / "x.npy"
  np.save(p, np.arange(5, dtype=np.int64))
  a = Arg(f"x=f32[5]:{p}", rng())
  assert a.host.dtype == np.float32 and list(a.host) == [0, 1, 2, 3, 4]
  with pytest.raises(BadArgument, match="holds 5 elements"): Arg(f"x=f32[4]:{p}", rng())

@pytest.mark.parametrize("spec", ["a", "a=f33[4]:rand", "a=f32[0]:rand", "a=f32[4]:nope.npy", "n=u32:abc", "a=f32[x]:rand"])
def test_bad_specs_are_bad_input(spec):
  with pytest.raises(BadArgument): Arg(spec, rng())

def test_dims():
  assert _dims("4", "grid") == (4, 1, 1) and _dims("2,3", "grid") == (2, 3, 1) and _dims("0x10,1,2", "grid") == (16, 1, 2)
  for bad in ("0", "1,2,3,4", "a", ""):
    with pytest.raises(BadArgument): _dims(bad, "grid")

def test_check_float_allclose_and_int_exact():
  a, b = np.float32([1, 2, 3]), np.float32([0.5, 0.25, 1])
  assert evaluate_check("c == a + b", {"a": a, "b": b, "c": a + b})[0]
  ok, why = evaluate_check("c == a + b", {"a": a, "b": b, "c": (a + b) * np.float32([1, 1, 1.01])})
  assert not ok and "1 of 3 elements differ; first at [2]" in why
  assert not evaluate_check("c == a", {"a": np.int32([1, 2]), "c": np.int32([1, 3])})[0]
  assert evaluate_check("np.all(c >= 0)", {"c": np.int32([1, 2])})[0]
  with pytest.raises(BadArgument, match="unknown name 'd'"): evaluate_check("d == a", {"a": a})
