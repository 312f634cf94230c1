"""The door to the engine's messages: the web layer installs its translation function, and reads
back in the reader's language the texts the engine stored in French (`translate_stored`: a status
« En erreur », a version's comment « Retour à la version 3 »; anything else is returned as written)."""

from __future__ import annotations

from engine.i18n import install_translator
from engine.stored_messages import translate_stored

__all__ = ["install_translator", "translate_stored"]
