"""The tour: the classic lessons of Python threads, as specs to measure and findings in words.

``tour_spec`` says what to measure (a composite ``Spec``, one part per
lesson); ``findings`` says what the measured numbers show. Planning,
measuring and saving are the API's (``threadlab.tour()``), which composes
this package with ``orchestrate`` and ``render``: nothing here imports them.
"""

from threadlab.lessons._finding import Finding
from threadlab.lessons._lessons import lesson_parts
from threadlab.lessons._tour import findings, tour_spec
from threadlab.lessons._which_python import LessonPython, lesson_pythons

__all__ = ["Finding", "LessonPython", "findings", "lesson_parts", "lesson_pythons", "tour_spec"]
