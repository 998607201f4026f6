"""Learning Cities Knowledge Graph: sourced linked data about the UNESCO Global Network of Learning Cities."""

from __future__ import annotations

__version__ = "0.1.0"
