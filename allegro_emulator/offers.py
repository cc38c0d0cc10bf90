"""Offers area (to be built): /sale/product-offers, operations, /sale/offers, batch commands, offer events.

Tables are in db.SCHEMA (offers, offer_operations, commands, command_tasks, offer_events).
"""
