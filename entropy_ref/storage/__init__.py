"""Files written and read back: atomic writes (:mod:`.atomic`), defensive readers (:mod:`.readers`),
identities of stored results (:mod:`.identity`), commit records of multi-file results
(:mod:`.commit`) and one-writer-per-directory locks (:mod:`.lock`).

Nothing is ever half-written (a temporary file, flushed and synced, then renamed over the target),
nothing read back is trusted (one :class:`~entropy_ref.errors.CorruptFileError` naming the file),
a result of several files counts only once its commit record, written last, matches every file,
and a directory has one writer at a time.
"""
