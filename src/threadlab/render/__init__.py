"""Renderers: take results, return text or rich renderables; they never print."""
