"""A separate process that takes a lease, says "held", and works until it is killed (the SIGKILL test)."""

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selly_allegro.settings_test")
django.setup()

from allegro.core.services.leases import lease_hold  # noqa: E402

key, seconds = sys.argv[1], float(sys.argv[2])
with lease_hold(key=key, seconds=seconds) as lease:
    print("held", flush=True)
    while True:
        lease.check()
        time.sleep(0.1)
