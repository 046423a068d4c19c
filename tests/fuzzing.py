"""Byte mutations for fuzzing the readers with hypothesis: flip, delete or
truncate at a few places of a real file."""

from __future__ import annotations

from hypothesis import strategies as st

mutations = st.lists(
    st.tuples(st.sampled_from(["flip", "delete", "truncate"]), st.floats(0, 1), st.integers(1, 64)),
    min_size=1, max_size=4,
)


def mutate(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for kind, where, amount in edits:
        if not out:
            break
        at = int(where * (len(out) - 1))
        if kind == "flip":
            out[at] ^= amount
        elif kind == "delete":
            del out[at:at + amount]
        else:
            del out[at:]
    return bytes(out)
