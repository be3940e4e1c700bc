"""The lessons' own helpers: one module per lesson notebook (dashboards, tables, questions).

``from margincourse.course.lessons import lesson1`` then ``lesson1.dashboard()``. The money math
itself stays in the engine modules; these modules only arrange it for a lesson. Lessons 4 and 5
keep their numbers (the trade, the simulations) in a model beside them, ``lesson4_model`` and
``lesson5_model``; the lesson module lays them out and can be imported alone.
"""
