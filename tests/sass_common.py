"""Shared, session-cached oracle work for the tests/test_sass_*.py files (corpus compiled once per session)."""
import functools, os, subprocess, tempfile
from conftest import oracle

@functools.lru_cache(maxsize=None)
def cache_dir() -> str:
  return tempfile.mkdtemp(prefix="hwrt-sass-test-")

@functools.lru_cache(maxsize=None)
def corpus_cubins() -> dict:
  oracle("ptxas")
  from hwrt.assemblers.sass import learn
  return learn.compile_corpus(cache_dir(), generated=False)     # the hand corpus (the generated one: test_sass_ptx_corpus.py)

@functools.lru_cache(maxsize=None)
def learned():
  """(forms, sr tables, samples) as the maintainer tool learns them now."""
  oracle("ptxas"); oracle("nvdisasm")
  from hwrt.assemblers.sass import learn
  return learn.learn(cache_dir(), log=lambda *a: None)

def nvdisasm_raw(words):
  oracle("nvdisasm")
  from hwrt.assemblers.sass import learn
  return learn.nvdisasm_raw(words)

def run(tool: str, *args, input_bytes: bytes | None = None, suffix=".cubin") -> subprocess.CompletedProcess:
  exe = oracle(tool)
  if input_bytes is not None:
    fd, path = tempfile.mkstemp(suffix=suffix, dir=cache_dir()); os.write(fd, input_bytes); os.close(fd)
    args = [a if a != "{}" else path for a in args]
  return subprocess.run([exe, *args], capture_output=True, text=True)
