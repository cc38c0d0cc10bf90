from django.core.management.base import BaseCommand, CommandError

from allegro.accounts.models import ConnectionState
from allegro.management.commands.allegro_check import accounts_matching
from allegro.sync.models import SyncJobAccount, SyncRun
from allegro.sync.services.jobs import sync_job_run, sync_job_start, sync_job_summary
from allegro.sync.services.steps import SYNC_STEPS


class Command(BaseCommand):
    help = (
        "Run the “Synchronizuj aukcje” job now in this process (orders, then the offer steps of every registered "
        "step, or one with --only) for the connected accounts; exits non-zero when an account fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", help="account id, login or name (default: all accounts)")
        parser.add_argument("--only", choices=list(SYNC_STEPS), help="run only this step")

    def handle(self, *args, **options):
        only = options.get("only")
        accounts = accounts_matching(options.get("account")).filter(state=ConnectionState.CONNECTED)
        # A step named with --only runs even where the account's switch is off (the staff member asked for
        # it); without --only the offer steps respect the switches, whichever accounts are chosen. The orders
        # are imported either way: the import switch only says whether beat imports them by itself.
        job = sync_job_start(
            accounts=list(accounts), steps=[only] if only else None, forced=bool(only), trigger=SyncRun.Trigger.COMMAND
        )
        job = sync_job_run(job=job)
        failed = []
        for item in job.accounts.select_related("account").order_by("pk"):
            ok = item.status == SyncJobAccount.Status.DONE
            mark = self.style.SUCCESS("OK  ") if ok else self.style.ERROR("FAIL")
            self.stdout.write(f"{mark} {item.account}: {sync_job_summary(counts=item.counts)}")
            self.stdout.write(f"     {item.summary}")
            for error in item.errors[:10]:
                self.stdout.write(f"     {error}")
            if not ok:
                failed.append(str(item.account))
        if not failed and not job.accounts.exists():
            self.stdout.write("No connected account.")
        self.stdout.write(sync_job_summary(counts=job.counts))
        if failed:
            raise CommandError(f"failed: {', '.join(failed)}")
