"""The drivers behind ``ballroom bench`` (docs/interfaces.md §5), kept out of the shipped package.

``ballroom bench`` imports them from a source checkout; the scripts beside this folder import
them as ``ballroom_bench`` because Python puts the script's folder on the path.
"""
