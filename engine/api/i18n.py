"""The door to the engine's messages: the web layer installs its translation function."""

from __future__ import annotations

from engine.i18n import install_translator

__all__ = ["install_translator"]
