from django.core.management.base import BaseCommand, CommandError

from allegro.management.commands.allegro_check import accounts_matching
from allegro.sync.services.steps import SYNC_STEPS, sync_command_run


class Command(BaseCommand):
    help = "Run an Allegro synchronisation now (all registered steps, or one with --only); exits non-zero on failure."

    def add_arguments(self, parser):
        parser.add_argument("--account", help="account id, login or name (default: all accounts)")
        parser.add_argument("--only", choices=list(SYNC_STEPS), help="run only this step")

    def handle(self, *args, **options):
        account = options.get("account")
        accounts = accounts_matching(account)
        # A step named with --only runs even where the account's switch is off (the staff member asked for
        # it); without --only every step respects the switches, whichever accounts are chosen.
        outcomes = sync_command_run(accounts=accounts, only=options.get("only"), explicit=bool(options.get("only")))
        failed = []
        for name, outcome in outcomes.items():
            mark = self.style.SUCCESS("OK  ") if outcome.ok else self.style.ERROR("FAIL")
            self.stdout.write(f"{mark} {name}")
            for line in outcome.lines:
                self.stdout.write(f"     {line}")
            if not outcome.ok:
                failed.append(name)
        if failed:
            raise CommandError(f"failed: {', '.join(failed)}")
