"""Strings of the installed packages that ship no Polish text, marked here so ``make messages`` keeps their
Polish texts in ``locale/pl`` (a string no code marks is dropped from the catalogue as obsolete).

django-celery-beat's models (the superuser's "Zadania okresowe" menu), django-axes' records of login attempts,
and one text of Django's admin whose Polish we word differently. Nothing imports this module: its strings
are read by ``makemessages`` and looked up at run time under the packages' own calls to gettext."""

from django.utils.translation import gettext_noop

THIRD_PARTY_MESSAGES = (
    # django-celery-beat
    gettext_noop("Periodic Tasks"),
    gettext_noop("periodic task"),
    gettext_noop("periodic tasks"),
    gettext_noop("clocked"),
    gettext_noop("crontab"),
    gettext_noop("crontabs"),
    gettext_noop("solar event"),
    gettext_noop("solar events"),
    gettext_noop("interval"),
    gettext_noop("intervals"),
    # django-axes
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Access Attempt"),
    # Django's admin (inline formsets): "Dodaj: …" reads right whatever the gender of the name
    gettext_noop("Add another %(verbose_name)s"),
)
