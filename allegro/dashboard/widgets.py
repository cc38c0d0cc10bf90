"""Small charts of the dashboard drawn on the server as inline SVG.

No JavaScript and no chart library: the panel's Content Security Policy allows no inline script, and a few
dozen rectangles are cheaper to send than a library. Every bar carries its day and value (``data-day``,
``data-value``) and a ``<title>`` a person sees on hover or hears from a screen reader; every chart sits in
a link to the list behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from allegro.dashboard.selectors import AccountDashboard

WIDTH = 240
HEIGHT = 48
GAUGE_HEIGHT = 14


@dataclass(frozen=True)
class Series:
    """One stacked layer of a daily chart: its CSS name, what it counts, its values (one per day)."""

    name: str
    label: str
    values: Sequence[int | Decimal]


@dataclass(frozen=True)
class Segment:
    """One part of a share bar (offers by status) and the list it links to."""

    name: str
    label: str
    value: int
    href: str


def _number(value: int | Decimal) -> str:
    return f"{value:.2f}" if isinstance(value, Decimal) else str(value)


def daily_bars_svg(
    *,
    days: Sequence[date],
    series: Sequence[Series],
    title: str,
    value_text: Callable[[int | Decimal], str] = str,
) -> SafeString:
    """Stacked bars, one column per day (oldest on the left), scaled to the highest day."""
    totals = [sum((s.values[i] for s in series), start=type(series[0].values[i])(0)) for i in range(len(days))]
    top = max(totals, default=0) or 1
    step = WIDTH / max(len(days), 1)
    rects = []
    for i, day in enumerate(days):
        bottom = HEIGHT
        for layer in series:
            value = layer.values[i]
            if not value:
                continue
            height = max(1.0, float(value) / float(top) * (HEIGHT - 2))
            bottom -= height
            rects.append(
                (
                    f"allegro-chart-{layer.name}",
                    f"{i * step + 0.5:.2f}",
                    f"{bottom:.2f}",
                    f"{max(step - 1, 1):.2f}",
                    f"{height:.2f}",
                    day.isoformat(),
                    layer.name,
                    _number(value),
                    f"{date_format(day, 'SHORT_DATE_FORMAT')}: {layer.label} {value_text(value)}",
                )
            )
    bars = format_html_join(
        "",
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}" data-day="{}" data-series="{}" data-value="{}">'
        "<title>{}</title></rect>",
        rects,
    )
    return format_html(
        '<svg class="allegro-chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{title}"'
        ' xmlns="http://www.w3.org/2000/svg"><title>{title}</title>'
        '<line class="allegro-chart-axis" x1="0" y1="{h}" x2="{w}" y2="{h}"></line>{bars}</svg>',
        w=WIDTH,
        h=HEIGHT,
        title=title,
        bars=bars,
    )


def share_bar_svg(*, segments: Sequence[Segment], title: str) -> SafeString:
    """One horizontal bar split by share (e.g. offers active / ended / with errors), each part a link."""
    total = sum(s.value for s in segments)
    parts = []
    x = 0.0
    for segment in segments:
        if not segment.value:
            continue
        width = segment.value / total * WIDTH
        parts.append(
            (
                segment.href,
                f"allegro-chart-{segment.name}",
                f"{x:.2f}",
                f"{width:.2f}",
                GAUGE_HEIGHT,
                segment.name,
                segment.value,
                f"{segment.label}: {segment.value}",
            )
        )
        x += width
    body = format_html_join(
        "",
        '<a href="{}"><rect class="{}" x="{}" y="0" width="{}" height="{}" data-series="{}" data-value="{}">'
        "<title>{}</title></rect></a>",
        parts,
    )
    return format_html(
        '<svg class="allegro-chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{title}"'
        ' xmlns="http://www.w3.org/2000/svg"><title>{title}</title>'
        '<rect class="allegro-chart-empty" x="0" y="0" width="{w}" height="{h}"></rect>{body}</svg>',
        w=WIDTH,
        h=GAUGE_HEIGHT,
        title=title,
        body=body,
    )


def gauge_svg(*, value: int | None, limit: int, title: str, text: str) -> SafeString:
    """How full a limit is (e.g. the order journal's lag against the time after which it is late): amber
    under the limit, red at or above it, an empty bar when there is no value yet."""
    fill = "" if value is None else ("allegro-chart-late" if value >= limit else "allegro-chart-lag")
    width = 0 if value is None else min(value / limit, 1) * WIDTH
    return format_html(
        '<svg class="allegro-chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{title}"'
        ' xmlns="http://www.w3.org/2000/svg"><title>{title}</title>'
        '<rect class="allegro-chart-empty" x="0" y="0" width="{w}" height="{h}"></rect>'
        '<rect class="{fill}" x="0" y="0" width="{width}" height="{h}" data-value="{value}" data-limit="{limit}">'
        "<title>{text}</title></rect></svg>",
        w=WIDTH,
        h=GAUGE_HEIGHT,
        title=title,
        fill=fill,
        width=f"{width:.2f}",
        value="" if value is None else value,
        limit=limit,
        text=text,
    )


# --- the dashboard's charts of each account -----------------------------------------------------------------------

# The order journal counts as late when it was last read this long ago (the import runs every minute or so).
LAG_LIMIT_SECONDS = 15 * 60


@dataclass(frozen=True)
class Chart:
    title: str
    svg: SafeString
    summary: str
    href: str
    parts_linked: bool = False  # its parts link to their own lists (no link around the whole chart)


def _money(value: Decimal) -> str:
    return f"{number_format(value, 2, use_l10n=True, force_grouping=True)} zł"


def account_charts(*, row: AccountDashboard) -> list[Chart]:
    """The four small charts of one dashboard row (an ``AccountDashboard`` with ``daily`` filled in)."""
    daily, pk = row.daily, row.account.pk
    start = daily.days[0].isoformat()
    orders_href = (
        reverse("admin:orders_order_changelist") + "?" + urlencode({"allegro_account": pk, "placed_at__gte": start})
    )
    offers_url = reverse("admin:allegro_offer_changelist")
    runs_url = reverse("admin:allegro_syncrun_changelist")
    orders_total, sales_total = sum(daily.orders), sum(daily.sales, Decimal("0.00"))
    failed_total = sum(daily.runs_failed)
    lag = row.import_lag_seconds
    return [
        Chart(
            _("Orders per day"),
            daily_bars_svg(
                days=daily.days, series=[Series("orders", _("orders"), daily.orders)], title=_("Orders per day")
            ),
            ngettext("%(count)d order in 30 days", "%(count)d orders in 30 days", orders_total)
            % {"count": orders_total},
            orders_href,
        ),
        Chart(
            _("Sales per day"),
            daily_bars_svg(
                days=daily.days,
                series=[Series("sales", _("sales"), daily.sales)],
                title=_("Sales per day"),
                value_text=_money,
            ),
            _("%(value)s in 30 days") % {"value": _money(sales_total)},
            orders_href,
        ),
        Chart(
            _("Offers"),
            share_bar_svg(
                segments=[
                    Segment("active", _("active"), row.active, f"{offers_url}?account__id__exact={pk}&status=active"),
                    Segment("ended", _("ended"), row.ended, f"{offers_url}?account__id__exact={pk}&status=ended"),
                    Segment(
                        "error", _("with errors"), row.errors, f"{offers_url}?account__id__exact={pk}&status=error"
                    ),
                ],
                title=_("Offers"),
            ),
            _("active: %(active)d, ended: %(ended)d, with errors: %(errors)d")
            % {"active": row.active, "ended": row.ended, "errors": row.errors},
            f"{offers_url}?account__id__exact={pk}",
            parts_linked=True,
        ),
        Chart(
            _("Synchronisation per day"),
            daily_bars_svg(
                days=daily.days,
                series=[
                    Series("done", _("finished runs"), daily.runs_done),
                    Series("failed", _("runs with errors"), daily.runs_failed),
                ],
                title=_("Synchronisation per day"),
            ),
            ngettext("%(count)d run with errors in 30 days", "%(count)d runs with errors in 30 days", failed_total)
            % {"count": failed_total},
            f"{runs_url}?account__id__exact={pk}" + ("&status__exact=failed" if failed_total else ""),
        ),
        Chart(
            _("Order journal lag"),
            gauge_svg(
                value=lag,
                limit=LAG_LIMIT_SECONDS,
                title=_("Order journal lag"),
                text=_("read %(seconds)d s ago") % {"seconds": lag} if lag is not None else _("not read yet"),
            ),
            _("read %(seconds)d s ago (late after %(limit)d min)") % {"seconds": lag, "limit": LAG_LIMIT_SECONDS // 60}
            if lag is not None
            else _("not read yet"),
            reverse("admin:allegro_ordereventcursor_changelist") + f"?account__id__exact={pk}",
        ),
    ]
