"""The basics every part of the package stands on: the one error type, the question types,
the number formatter, the atomic file writer.

Nothing here imports another part of ``margincourse``.
"""
