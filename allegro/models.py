"""Allegro integration models (apps, accounts, offers, mappings) arrive with the issues that need them."""
