from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from allegro.accounts.models import AllegroAccount
from allegro.accounts.services.checklist import account_checklist


def accounts_matching(value: str | None):
    accounts = AllegroAccount.objects.select_related("app").order_by("pk")
    if value:
        query = Q(login=value) | Q(name=value)
        if value.isdigit():
            query |= Q(pk=int(value))
        accounts = accounts.filter(query)
        if not accounts.exists():
            raise CommandError(f"No Allegro account matches {value!r}.")
    return accounts


class Command(BaseCommand):
    help = "Run the setup checklist of Allegro accounts with live calls; exits non-zero when a check fails."

    def add_arguments(self, parser):
        parser.add_argument("--account", help="account id, login or name (default: all accounts)")

    def handle(self, *args, **options):
        failed = 0
        accounts = accounts_matching(options.get("account"))
        if not accounts.exists():
            raise CommandError("No Allegro accounts yet: add one in Konfiguracja Allegro → Konta Allegro.")
        for account in accounts:
            self.stdout.write(self.style.MIGRATE_HEADING(f"{account} [{account.pk}]"))
            for check in account_checklist(account=account):
                mark = self.style.SUCCESS("OK  ") if check.ok else self.style.ERROR("FAIL")
                self.stdout.write(f"  {mark} {check.name}: {check.message}")
                if not check.ok:
                    failed += 1
                    if check.fix:
                        self.stdout.write(f"       → {check.fix}" + (f" ({check.link})" if check.link else ""))
        if failed:
            raise CommandError(f"{failed} check(s) failed.")
