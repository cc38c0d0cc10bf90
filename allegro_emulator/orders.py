"""Orders area (to be built): /order/events, /order/event-stats, /order/checkout-forms, shipments,
`POST /_emulator/purchases`, `POST /_emulator/checkout-forms`, and the public offer page `/oferta/<id>`.

Tables are in db.SCHEMA (buyers, checkout_forms, order_events, shipments). `/order/carriers` is in catalogue.py.
"""
