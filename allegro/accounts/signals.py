"""Signals of the accounts room: rooms above it react without the accounts room knowing them."""

from django.dispatch import Signal

#: An account finished its authorisation at Allegro (the OAuth callback); ``account`` is the AllegroAccount.
#: Rooms that keep copies of the seller's settings fetch them at once (the shipping room its price lists).
account_connected = Signal()
