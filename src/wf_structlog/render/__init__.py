"""Pure rendering of an event dict: JSON-safe values, NDJSON bytes and console text.

No I/O and no process state, so both the writing side (sinks) and the reading side (views)
use it.
"""
