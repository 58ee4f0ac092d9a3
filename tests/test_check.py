"""The --check expression language (hwrt/check.py): what it accepts, what it refuses before the launch, what a failure says."""
import numpy as np, pytest
from hwrt.check import compile_check, FUNCS
from hwrt.errors import BadArgument

ENV = {"a": np.float32([1, 2, 3]), "b": np.float32([0.5, 0.25, 1]), "c": np.float32([1.5, 2.25, 4]), "n": np.uint32(3)}

@pytest.mark.parametrize("expr,ok", [("c == a + b", True), ("c != a + b", False), ("all(c > a) and n == 3", True),
                                     ("not any(isnan(c))", True),
                                     ("allclose(c, a + b, rtol=1e-3)", True), ("np.maximum(a, b) == a", True), ("0 < c < 5", True),
                                     ("c[0] == 1.5", True), ("c[1:] == (a + b)[1:]", True), ("c ** 2 >= 0", True), ("sum(c) == 7.75", True),
                                     ("where(a > 1, a, b) == a - 0.5 * (a < 2)", True), ("c // 1 == floor(c)", True), ("c == a", False)])
def test_accepted_expressions_evaluate(expr, ok):
  assert compile_check(expr, ENV).evaluate(ENV)[0] is ok

@pytest.mark.parametrize("expr,why", [("", "empty"), ("c", "not a comparison"), ("1", "not a comparison"), ("a + b", "not a comparison"),
                                      ("c.sum() > 0", "cannot call c.sum"), ("c.dtype == 1", "Attribute"),
                                      ("np.save('x', c)", "cannot call np.save"), ("open('x')", "cannot call open"),
                                      ("d == a", "unknown name 'd'"), ("9**9**9**9", "exponent"), ("c ** a > 0", "exponent"),
                                      ("[x for x in c]", "ListComp"), ("'s' == 's'", "only numbers"),
                                      ("round(c, 10**9) == c", "1 argument"),
                                      ("sum(c, a) > 0", "1 argument"), ("allclose(c, a, axis=0)", "keyword axis"),
                                      ("c == " + "a+" * 500 + "a", "nodes"), ("(" * 300 + "c" + ")" * 300 + " == 1", ""),
                                      ("99999999999999999999 > c", "64 bits"), ("c[::0] == 1", "ValueError"),
                                      ("lambda: 1", "Lambda"), ("c if a else b", "IfExp"), ("c @ a > 0", "MatMult")])
def test_refused_expressions_are_bad_input(expr, why):
  with pytest.raises(BadArgument, match=why.replace("(", r"\(").replace("*", r"\*").replace(".", r"\.") if why else None):
    compile_check(expr, ENV).value({k: v if np.ndim(v) == 0 else v[:1] for k, v in ENV.items()})

def test_failure_names_the_first_difference():
  ok, why = compile_check("c == a + b", ENV).evaluate({**ENV, "c": np.float32([1.5, 9, 4])})
  assert not ok and why == "1 of 3 elements differ; first at [1]: 9.0 vs 2.25"

def test_used_names_and_the_function_table():
  assert compile_check("c == a + 1", ENV).used == {"a", "c"}
  assert "save" not in FUNCS and "load" not in FUNCS and all(callable(f) for f in FUNCS.values())
