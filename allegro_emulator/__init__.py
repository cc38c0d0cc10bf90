"""Offline Allegro: one HTTP server playing api.allegro.pl, allegro.pl/auth/oauth and upload.allegro.pl.

Standard library only (plus Pillow for placeholder images). The product code never imports this package.
See docs/emulator.md.
"""
