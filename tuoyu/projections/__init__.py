"""Pure projections: folds from recorded facts to view state, and snapshots of that state.

No I/O, no clock reads, no lookups: runners (embedded projector, Faust workers, replay)
read the store, pass each fact and the evaluation time, and own the positions.
"""
