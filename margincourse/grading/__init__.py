"""Grading: the exercises' answer keys and checks, the learner's progress, and the class grader.

Answers are judged with :mod:`margincourse.basics.questions` against keys computed
by :mod:`margincourse.engine`; the grader runs each student's notebook in a sandboxed
kernel and judges the answers outside it. Nothing here imports
:mod:`margincourse.course`.
"""
