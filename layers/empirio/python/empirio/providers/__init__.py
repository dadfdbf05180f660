"""Providers: vendor wire formats ⇄ canonical (pure adapters) over one transport module that does HTTP."""
