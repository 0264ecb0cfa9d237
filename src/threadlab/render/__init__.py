"""Renderers: take results, return text or rich renderables; they never print.

``advice_text`` and ``fact_text`` word the analysis's verdicts (a
``Recommendation``, a ``Fact``) as the terminal and the report show them.
"""

from threadlab.render._advice import advice_text, fact_text

__all__ = ["advice_text", "fact_text"]
