"""The answer key: one module per exercise notebook, each with a ``QUESTIONS`` tuple.

These question objects give learners immediate feedback (``check``) and grade
submissions in the grader's own process. Adding an exercise: write its module
here, register it below, then author its solution notebook (see
``docs/authoring_exercises.md``).
"""

EXERCISES = {
    "01_initial_margin": "lesson1",
    "02_maintenance_margin": "lesson2",
    "03_liquidation": "lesson3",
    "04_cross_vs_isolated": "lesson4",
    "05_copy_trading_trap": "lesson5",
    "06_choosing_a_mode": "lesson6",
    "07_beyond_crypto": "lesson7",
    "08_funding": "lesson8",
}
