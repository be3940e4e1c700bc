"""The answer key: one module per exercise notebook, each with a ``QUESTIONS`` tuple.

These question objects give learners immediate feedback (``check``) and grade
submissions in the grader's own process. Adding an exercise: write its module
here, register it below, then author its solution notebook (see
``docs/authoring_exercises.md``).
"""

EXERCISES = {
    "01_initial_margin": "lesson1",
}
