"""Keeping views over a store: reading recorded facts, replay as of any time, the embedded projector.

These run the pure projections (tuoyu.projections) over the store's notification log; the
Kafka relay and the Faust workers (tuoyu.streams) run the same folds over a topic.
"""
