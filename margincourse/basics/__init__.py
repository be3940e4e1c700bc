"""The basics every part of the package stands on: the one error type, the question types.

Nothing here imports another part of ``margincourse``.
"""
