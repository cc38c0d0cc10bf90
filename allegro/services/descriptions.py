"""Stable, documented Python entry point for Allegro descriptions: import these two from here, not from the room."""

from allegro.descriptions.services.descriptions import description_from_html, description_validate

__all__ = ["description_from_html", "description_validate"]
