"""Renderers: take results, return text or rich renderables; they never print.

``advice_text`` and ``fact_text`` word the analysis's verdicts (a
``Recommendation``, a ``Fact``) as the terminal and the report show them;
``machine_line`` words a ``NoiseReport`` as the line above the tables
(``machine_line_of``: a result's, where it carries noise readings).
"""

from threadlab.render._advice import advice_text, fact_text
from threadlab.render._doubts import machine_line, machine_line_of

__all__ = ["advice_text", "fact_text", "machine_line", "machine_line_of"]
