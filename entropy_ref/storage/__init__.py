"""Files written and read back: atomic writes (:mod:`.atomic`) and defensive readers (:mod:`.readers`).

Nothing is ever half-written (a temporary file, flushed and synced, then renamed over the target)
and nothing read back is trusted (one :class:`~entropy_ref.errors.CorruptFileError` naming the file).
"""
