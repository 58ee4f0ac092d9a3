"""Other SASS generations from the same learner (issue #13 item 4): for each arch with a committed table (sm86.tsv ...),
the table is what `learn --arch` gives now and every corpus instruction ptxas emits for that arch round-trips
(disasm == `nvdisasm -b SMxx` text, asm == ptxas bits); the cubin writer's ELF facts per arch."""
import pytest
from sass_common import cache_dir
from hwrt.assemblers import sass
from hwrt.assemblers.sass import table as T, learn, cubin

OTHER = [a for a in sass.ARCHS if a != "sm_90"]

@pytest.mark.oracle("nvdisasm")
@pytest.mark.parametrize("arch", OTHER)
def test_arch_table_fresh_and_round_trips(arch):
  forms, sr, samples = learn.learn(cache_dir(), log=lambda *a: None, arch=arch)
  assert sorted(f.row() for f in forms) == sorted(f.row() for f in T.load(arch).forms), f"run python -m hwrt.assemblers.sass.learn --arch {arch}"
  nforms, ninstr, bad = learn.verify(T.Table(forms, sr, arch), samples)
  print(f"\nSASS {arch} corpus round trip: {nforms}/{len(forms)} forms, {ninstr}/{sum(len(v) for v in samples.values())} instructions")
  assert not bad, bad[:5]

@pytest.mark.parametrize("sm", sorted(cubin.ARCH_ELF))
def test_cubin_writer_per_arch(sm):
  k = sass.KernelSource("k", (0x000fc000000000000000000000007918).to_bytes(16, "little"), 8, [(0, 8)], 0, 0, [], 0)
  c = sass.read_cubin(sass.write_cubin([k], sm=sm))
  assert c.arch == f"sm_{sm}" and c.kernels["k"].param_base == cubin.ARCH_ELF[sm][1] and c.kernels["k"].params == [(0, 8)]
