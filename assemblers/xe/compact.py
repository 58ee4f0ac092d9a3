"""Compacted (64-bit) instructions: placeholder, filled below."""
class Compaction:
  def __init__(self, rows): self.rows = rows
  @classmethod
  def from_rows(cls, rows): return cls(rows)
def learn_rows(words8): return []
