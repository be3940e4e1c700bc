"""The course as a learner meets it: figures, dashboards, the lessons' modules.

Every number shown comes from :mod:`margincourse.engine`; the course only lays it
out. It reads the exercise list and the learner's progress from
:mod:`margincourse.grading`, which never imports the course.
"""
