"""Demo data of the integration: an application pointing at the offline emulator and an account
for its demo seller (authorise it with one click on the emulator's consent page)."""

from django.conf import settings

from allegro.accounts.models import AllegroAccount, AllegroApp, Environment, Province


def demo_allegro_seed() -> str:
    base = settings.SELLY_EMULATOR_URL.rstrip("/")
    app = AllegroApp.objects.filter(environment=Environment.CUSTOM, client_id="demo-client").first()
    if app is None:
        app = AllegroApp(
            name="Allegro – emulator (demo)",
            environment=Environment.CUSTOM,
            client_id="demo-client",
            api_url=base,
            auth_url=base,
            upload_url=base,
        )
        app.client_secret = "demo-secret"  # noqa: S105 - the emulator's published demo credentials, not a real secret
        app.save()
    account, created = AllegroAccount.objects.get_or_create(
        app=app,
        name="Konto demo",
        defaults={
            "location_province": Province.WIELKOPOLSKIE,
            "location_city": "Poznań",
            "location_post_code": "60-166",
        },
    )
    if created:
        return "Allegro demo: emulator application and the account “Konto demo” (click Autoryzacja to connect)."
    return "Allegro demo: already present."
