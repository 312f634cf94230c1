"""Door: the studio's reusable building blocks inserted into an existing draft (engine/demarche_blocks.py)."""

from __future__ import annotations

from engine import demarche_blocks
from engine.block_diagram import BlockRefused
from engine.demarche_blocks import BlockPlace

__all__ = ["BlockPlace", "BlockRefused", "block_places", "with_block"]

block_places = demarche_blocks.block_places
with_block = demarche_blocks.with_block
