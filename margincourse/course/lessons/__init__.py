"""The lessons' own helpers: one module per lesson notebook (dashboards, tables, questions).

``from margincourse.course.lessons import lesson1`` then ``lesson1.dashboard()``. The money math
itself stays in the engine modules; these modules only arrange it for a lesson.
"""
