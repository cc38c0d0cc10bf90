from django.core.management.base import BaseCommand

from allegro.accounts.models import AllegroAccount, AllegroApp
from allegro.core.crypto import SecretUnreadable, secret_is_on_primary_key, secret_rotate

ENCRYPTED_COLUMNS = {
    AllegroApp: ["client_secret_encrypted"],
    AllegroAccount: ["access_token_encrypted", "refresh_token_encrypted"],
}


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of SELLY_ENCRYPTION_KEYS. Safe to interrupt "
        "and run again: secrets already on the first key are skipped. Remove old keys only after it finished."
    )

    def handle(self, *args, **options):
        rotated = skipped = unreadable = 0
        for model, columns in ENCRYPTED_COLUMNS.items():
            for pk in model.objects.order_by("pk").values_list("pk", flat=True):
                row = model.objects.filter(pk=pk).values(*columns).first()
                if row is None:
                    continue
                updates = {}
                for column in columns:
                    token = row[column]
                    if not token or secret_is_on_primary_key(token):
                        skipped += bool(token)
                        continue
                    try:
                        updates[column] = secret_rotate(token)
                    except SecretUnreadable:
                        unreadable += 1
                        self.stderr.write(f"{model._meta.label} #{pk}.{column}: no configured key opens it")
                if updates:
                    # One row at a time, compared with what we read: a refresh that stored a new
                    # token meanwhile is not overwritten (it is already on the first key).
                    model.objects.filter(pk=pk, **{c: row[c] for c in updates}).update(**updates)
                    rotated += len(updates)
        self.stdout.write(f"Rotated {rotated} secret(s); {skipped} already on the first key; {unreadable} unreadable.")
        if unreadable:
            raise SystemExit(1)
