"""Allegro offer descriptions: cleaning, conversion from arbitrary HTML, validation and templates.

Allegro's description is ``{"sections": [{"items": [...]}, ...]}``:

* 1–100 sections, each with 1 or 2 items: text, image, text+image, image+text, image+image;
* a ``TEXT`` item holds HTML in a strict grammar: top level only ``h1, h2, p, ul, ol``; ``li`` only inside
  ``ul``/``ol`` and no nested lists; ``b`` only inside ``p``/``li``; no attributes;
* an ``IMAGE`` item holds an absolute http(s) URL that must also be in the offer's gallery;
* at most 40,000 bytes in total.

Pipeline for any HTML: nh3 (the security boundary: drops scripts, event handlers, comments, unknown tags and
every attribute except ``img[src]``) -> a single-pass structural normaliser over nh3's well-formed output that
emits blocks in Allegro's grammar -> sectioning. The ideas follow Allegro's ``@allegro/convert-description``
(headings start sections, images become image items next to the neighbouring text, everything else is reduced
to paragraphs and flat lists), rewritten for speed: one regex tokenizer, no DOM.

Size: ``description_size_bytes`` is the length in UTF-8 of the compact JSON (``separators=(",", ":")``,
``ensure_ascii=False``) of ``{"sections": ...}``. That counts markup, JSON keys and escapes, so it is never
below what Allegro counts for the same description; staying under 40,000 by this measure is safe.

Nothing here imports Django; the module is pure Python so benchmarks and unit tests run without settings.
"""

from __future__ import annotations

import copy
import html as _html
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import nh3

MAX_SECTIONS = 100
MAX_ITEMS = 2
MAX_BYTES = 40_000
ALLOWED_TAGS = frozenset({"h1", "h2", "p", "ul", "ol", "li", "b"})

# A new section starts before a block once the current text item is this big (bytes of markup). Keeps
# sections editable in the panel; 40 kB of text gives at most ~14 sections, far from the limit of 100.
SECTION_SOFT_BYTES = 3_000

# --------------------------------------------------------------------------------------------------------------
# nh3 configuration: tags the normaliser understands are kept (without attributes) so it can see the structure;
# everything else is unwrapped (text kept), and these are removed together with their content.
# --------------------------------------------------------------------------------------------------------------
_H1, _H2, _PARA, _BR, _TR, _CELL, _LIST, _LI, _BOLD, _IMG, _INLINE = range(11)

_TAG_KIND: dict[str, int] = {"h1": _H1, "h2": _H2, "h3": _H2, "h4": _H2, "h5": _H2, "h6": _H2}
for _t in (
    "p div section article header footer main aside nav blockquote pre address figure figcaption details summary "
    "center dl dt dd hr caption table thead tbody tfoot"
).split():
    _TAG_KIND[_t] = _PARA
_TAG_KIND.update({"br": _BR, "tr": _TR, "td": _CELL, "th": _CELL, "ul": _LIST, "ol": _LIST, "menu": _LIST})
_TAG_KIND.update({"li": _LI, "b": _BOLD, "strong": _BOLD, "img": _IMG})
for _t in "span em i u s strike font small big sub sup mark code kbd samp var a abbr cite q del ins tt label".split():
    _TAG_KIND[_t] = _INLINE

# Inline tags are unwrapped by nh3 itself (fewer tokens for the Python pass); they are listed above for the report.
_NH3_TAGS = {name for name, kind in _TAG_KIND.items() if kind != _INLINE}
_NH3_CLEAN_CONTENT = {
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "noscript",
    "noembed",
    "noframes",
    "template",
    "svg",
    "math",
    "textarea",
    "select",
    "option",
    "button",
    "title",
    "head",
    "xml",
    "audio",
    "video",
    "canvas",
    "map",
}
_NH3_KW = {
    "tags": _NH3_TAGS,
    "clean_content_tags": _NH3_CLEAN_CONTENT,
    "attributes": {"img": {"src"}},
    "url_schemes": {"http", "https"},
    "link_rel": None,
    "strip_comments": True,
}

_CLEANER = nh3.Cleaner(**_NH3_KW)

# Attribute-less tags as nh3 serialises them -> (kind, closing, list/heading name); `<img src=...>` is the only
# tag that can carry an attribute.
_TAG_LOOKUP: dict[str, tuple[int, bool, str]] = {}
for _t in _NH3_TAGS:
    _name = "ul" if _t == "menu" else _t
    _TAG_LOOKUP[f"<{_t}>"] = (_TAG_KIND[_t], False, _name)
    _TAG_LOOKUP[f"</{_t}>"] = (_TAG_KIND[_t], True, _name)
# ammonia escapes `<`/`>` inside attribute values too, so every `<...>` is exactly one tag.
_SPLIT_RE = re.compile(r"(<[^>]*>)")
_SRC_RE = re.compile(r'\ssrc="([^"]*)"')
_CTRL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_HTTP_URL_RE = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)

_CELL_SEP = " | "


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _is_http_url(url: object) -> bool:
    if not isinstance(url, str) or not _HTTP_URL_RE.match(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _finish_text(text: str) -> str:
    """NFC for escaped text; U+0338 written as an entity because NFC would fuse it with a preceding `>` into "≯"
    and break the tag once anything downstream normalises the whole string."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFC", text)
    return text.replace("\u0338", "&#824;") if "\u0338" in text else text


def _render_plain(runs: list[tuple[str, bool]]) -> str:
    """Fast path of ``_render_inline`` for runs without bold (most blocks, and every heading).

    Runs hold text as nh3 serialised it: already escaped (``&amp; &lt; &gt;`` only), so no re-escaping here."""
    return _finish_text(" ".join("".join([run[0] for run in runs]).split()))


def _render_inline(runs: list[tuple[str, bool]]) -> str:
    """Join text runs into canonical inline HTML: collapsed whitespace, spaces outside <b>, adjacent <b> merged."""
    segments: list[list] = []  # [bold, [pieces]]
    pending_space = False
    for text, bold in runs:
        words = text.split()
        if not words:
            if text:
                pending_space = True
            continue
        if text[0].isspace():
            pending_space = True
        chunk = " ".join(words)
        if segments:
            last = segments[-1]
            if pending_space:
                if last[0] and not bold:
                    chunk = " " + chunk
                else:
                    last[1].append(" ")
            if last[0] == bold:
                last[1].append(chunk)
            else:
                segments.append([bold, [chunk]])
        else:
            segments.append([bold, [chunk]])
        pending_space = text[-1].isspace()
    return "".join(("<b>" + _finish_text("".join(p)) + "</b>") if b else _finish_text("".join(p)) for b, p in segments)


# Word pastes lists as paragraphs with class MsoListParagraph* whose bullet/number is a literal glyph inside a
# downlevel-revealed conditional comment; turn runs of them back into a real list before nh3 drops the classes.
_WORD_LIST_ITEM_RE = re.compile(
    r"<p\b[^>]*?class=[\"']?MsoListParagraph\w*[\"']?[^>]*>((?:(?!<p\b|</p>).)*)</p>", re.IGNORECASE | re.DOTALL
)
_WORD_GLYPH_RE = re.compile(r"<!\[if !supportLists\]>(.*?)<!\[endif\]>", re.IGNORECASE | re.DOTALL)
_WORD_LIST_RUN_RE = re.compile(r"(?:<li data-n=\"[01]\">(?:(?!</li>).)*</li>\s*)+", re.DOTALL)
_WORD_NUMBER_RE = re.compile(r"^\s*(?:\d+|[a-z]|[ivx]+)[.)]", re.IGNORECASE)
_TAGS_RE = re.compile(r"<[^>]*>")


def _word_lists(source: str) -> str:
    def item(m: re.Match) -> str:
        body = m.group(1)
        glyph = _WORD_GLYPH_RE.search(body)
        numbered = bool(glyph) and bool(_WORD_NUMBER_RE.match(_html.unescape(_TAGS_RE.sub("", glyph.group(1)))))
        return f'<li data-n="{int(numbered)}">{_WORD_GLYPH_RE.sub("", body)}</li>'

    def run(m: re.Match) -> str:
        tag = "ol" if m.group(0).startswith('<li data-n="1"') else "ul"
        return f"<{tag}>{m.group(0)}</{tag}>"

    return _WORD_LIST_RUN_RE.sub(run, _WORD_LIST_ITEM_RE.sub(item, source))


@dataclass
class _Parsed:
    blocks: list[tuple[str, object]]  # ("h1"|"h2"|"p", html) | ("ul"|"ol", [li html]) | ("img", url)
    dropped_images: list[str] = field(default_factory=list)


def _parse(source: str) -> _Parsed:
    """nh3 + one pass over its tokens producing blocks in Allegro's grammar."""
    if not source:
        return _Parsed([])
    if "MsoListParagraph" in source:
        source = _word_lists(source)
    try:
        cleaned = _CLEANER.clean(source)
    except (UnicodeEncodeError, ValueError):
        cleaned = _CLEANER.clean(source.encode("utf-8", "replace").decode("utf-8"))
    if _CTRL_RE.search(cleaned):
        cleaned = _CTRL_RE.sub("", cleaned)
    # html5ever's serialiser writes text with exactly four entities: &amp; &lt; &gt; &nbsp;. The first three are
    # already Allegro's canonical escaping, so text stays escaped end to end; &nbsp; is collapsed like any space.
    if "&nbsp;" in cleaned:
        cleaned = cleaned.replace("&nbsp;", " ")

    blocks: list[tuple[str, object]] = []
    dropped: list[str] = []
    runs: list[tuple[str, bool]] = []
    runs_has_text = False
    runs_bold = False
    pending_sep = False
    lists: list[str] = []
    headings: list[str] = []
    cur_items: list[str] | None = None
    bold = 0

    def flush() -> None:
        nonlocal runs, runs_has_text, runs_bold, pending_sep, cur_items
        pending_sep = False
        if not runs:
            return
        if runs_bold and not (headings and not lists):
            content = _render_inline(runs)
        else:
            content = _render_plain(runs)
        runs = []
        runs_has_text = False
        runs_bold = False
        if not content:
            return
        if lists:
            if cur_items is None:
                cur_items = []
                blocks.append((lists[0], cur_items))
            cur_items.append(content)
        elif headings:
            blocks.append((headings[-1], content))
        else:
            blocks.append(("p", content))

    is_tag = False
    for part in _SPLIT_RE.split(cleaned):
        if not is_tag:
            is_tag = True
            if not part:
                continue
            if part.isspace():
                runs.append((" ", False))
                continue
            if pending_sep and runs_has_text:
                runs.append((_CELL_SEP, False))
            pending_sep = False
            if bold:
                runs.append((part, True))
                runs_bold = True
            else:
                runs.append((part, False))
            runs_has_text = True
            continue
        is_tag = False
        info = _TAG_LOOKUP.get(part)
        if info is None:
            if part.startswith("<img"):
                src = _SRC_RE.search(part)
                url = _html.unescape(src.group(1)).strip() if src else ""
                if _is_http_url(url):
                    if runs:
                        flush()
                    pending_sep = False
                    blocks.append(("img", url))
                    cur_items = None
                else:
                    dropped.append(url)
            continue
        kind, closing, name = info
        if kind == _BOLD:
            bold = bold - 1 if closing else bold + 1
            if bold < 0:
                bold = 0
        elif kind == _PARA or kind == _BR or kind == _TR:
            if lists or headings:
                runs.append((" ", False))
            else:
                if runs:
                    flush()
                pending_sep = False
        elif kind == _CELL:
            if not closing:
                pending_sep = True
        elif kind == _LI:
            if lists or not headings:
                if runs:
                    flush()
                pending_sep = False
            else:
                runs.append((" ", False))
        elif kind == _LIST:
            if runs:
                flush()
            pending_sep = False
            if closing:
                if lists:
                    lists.pop()
                if not lists:
                    cur_items = None
            else:
                lists.append(name)
        elif kind == _H1 or kind == _H2:
            if lists:
                runs.append((" ", False))
            else:
                if runs:
                    flush()
                pending_sep = False
            if closing:
                if headings:
                    headings.pop()
            else:
                headings.append("h1" if kind == _H1 else "h2")
    flush()
    return _Parsed(blocks, dropped)


def _block_html(block: tuple[str, object]) -> str:
    kind, payload = block
    if kind == "ul" or kind == "ol":
        return f"<{kind}><li>" + "</li><li>".join(payload) + f"</li></{kind}>"  # type: ignore[arg-type]
    return f"<{kind}>{payload}</{kind}>"


def _sections_from_blocks(blocks: list[tuple[str, object]], *, split: bool) -> list[dict]:
    """Group blocks into sections of 1–2 items; with ``split`` a heading or a big text item starts a new one."""
    sections: list[dict] = []
    items: list[dict] = []
    text_parts: list[str] | None = None  # open TEXT item's parts (the last item of `items`)
    text_len = 0

    def close_section() -> None:
        nonlocal items, text_parts
        if text_parts is not None:
            items[-1]["content"] = "".join(text_parts)
        if items:
            sections.append({"items": items})
        items = []
        text_parts = None

    for block in blocks:
        kind = block[0]
        if kind == "img":
            if text_parts is not None:
                items[-1]["content"] = "".join(text_parts)
                text_parts = None
            if len(items) >= MAX_ITEMS:
                close_section()
            items.append({"type": "IMAGE", "url": block[1]})
            continue
        part = _block_html(block)
        if text_parts is not None:
            if split and (kind in ("h1", "h2") or text_len >= SECTION_SOFT_BYTES):
                close_section()
            else:
                text_parts.append(part)
                text_len += len(part)
                continue
        if len(items) >= MAX_ITEMS or (split and items and kind in ("h1", "h2")):
            close_section()
        items.append({"type": "TEXT", "content": ""})
        text_parts = [part]
        text_len = len(part)
    close_section()
    return sections


def _approx_size(sections: list[dict]) -> int:
    """``description_size_bytes`` without serialising: exact for our own output (no control characters, so the
    only JSON escapes are `"` and `\\`); used to skip the exact count when far from the limit."""
    size = 15 + max(len(sections) - 1, 0)  # {"sections":[ ]} and commas
    for section in sections:
        items = section["items"]
        size += 12 + len(items) - 1  # {"items":[ ]} and the comma between two items
        for item in items:
            value = item["content"] if item["type"] == "TEXT" else item["url"]
            size += (28 if item["type"] == "TEXT" else 25) + len(value.encode()) + value.count('"') + value.count("\\")
    return size


def _fits(sections: list[dict]) -> bool:
    if len(sections) > MAX_SECTIONS:
        return False
    if _approx_size(sections) < MAX_BYTES - 1_000:
        return True
    return description_size_bytes({"sections": sections}) <= MAX_BYTES


def _build(blocks: list[tuple[str, object]]) -> tuple[dict, int]:
    """Sections for the blocks, within Allegro's limits; returns (description, number of blocks kept)."""
    sections = _sections_from_blocks(blocks, split=True)
    if _fits(sections):
        return {"sections": sections}, len(blocks)
    sections = _sections_from_blocks(blocks, split=False)
    if _fits(sections):
        return {"sections": sections}, len(blocks)
    # Truncate at a block boundary: the largest prefix of blocks that fits (both limits grow with the prefix).
    lo, hi = 0, len(blocks)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _fits(_sections_from_blocks(blocks[:mid], split=True)):
            lo = mid
        else:
            hi = mid - 1
    return {"sections": _sections_from_blocks(blocks[:lo], split=True)}, lo


@dataclass
class DescriptionConversion:
    """Result of converting a shop's HTML description, with what could not be kept (for the bulk action report)."""

    description: dict
    blocks_total: int
    blocks_kept: int
    dropped_tags: dict[str, int]
    dropped_images: list[str]
    messages: list[str]

    @property
    def truncated(self) -> bool:
        return self.blocks_kept < self.blocks_total

    @property
    def lossless(self) -> bool:
        return not self.messages


def description_convert(html: str) -> tuple[dict, int, int, list[str]]:
    """(description, blocks found, blocks kept, dropped image srcs) for any HTML."""
    parsed = _parse(html or "")
    description, kept = _build(parsed.blocks)
    return description, len(parsed.blocks), kept, parsed.dropped_images


def description_from_html(html: str) -> dict:
    """Allegro's ``{"sections": [...]}`` built from any HTML; empty input gives ``{"sections": []}``."""
    return description_convert(html)[0]


# Tags whose loss is worth telling the user about, grouped into Polish explanations.
_REPORT_GROUPS: list[tuple[frozenset[str], str]] = [
    (
        frozenset(
            "script noscript iframe frame frameset object embed applet svg math template form input button "
            "textarea select audio video canvas".split()
        ),
        "usunięto elementy aktywne/osadzone",
    ),
    (frozenset({"style", "link", "meta"}), "usunięto style CSS"),
    (frozenset({"table"}), "tabele zamieniono na akapity (komórki rozdzielone „|”)"),
    (frozenset({"h3", "h4", "h5", "h6"}), "nagłówki h3–h6 zamieniono na h2"),
    (frozenset({"a"}), "usunięto linki (tekst zachowano)"),
    (frozenset({"em", "i", "u", "s", "strike", "font", "span", "sub", "sup", "mark"}), "usunięto formatowanie tekstu"),
]
_RAW_TAG_RE = re.compile(r"<([a-zA-Z][a-zA-Z0-9:-]*)")
_RAW_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.S)


def description_conversion_report(html: str) -> DescriptionConversion:
    """Convert a shop's HTML description and list what could not be kept (dropped tags, images, truncation)."""
    description, total, kept, dropped_images = description_convert(html)
    names = Counter(m.group(1).lower() for m in _RAW_TAG_RE.finditer(_RAW_COMMENT_RE.sub("", html or "")))
    reported = set().union(*(group for group, _ in _REPORT_GROUPS))
    dropped_tags = {
        name: count
        for name, count in sorted(names.items())
        if name in reported or (name not in _TAG_KIND and name not in ("html", "head", "body", "o:p"))
    }
    messages: list[str] = []
    for group, message in _REPORT_GROUPS:
        found = sorted(name for name in names if name in group)
        if found:
            messages.append(f"{message}: {', '.join(found)}")
    if dropped_images:
        messages.append(
            f"pominięto {len(dropped_images)} zdjęć bez adresu http(s): "
            + ", ".join(repr(u) for u in dropped_images[:5])
            + (" …" if len(dropped_images) > 5 else "")
        )
    if "<!--" in (html or ""):
        messages.append("usunięto komentarze HTML")
    if kept < total:
        messages.append(
            f"opis przycięto do {kept} z {total} bloków (limit Allegro: {MAX_SECTIONS} sekcji, {MAX_BYTES} bajtów)"
        )
    if not description["sections"] and (html or "").strip():
        messages.append("opis sklepu nie zawiera tekstu ani zdjęć, które można przenieść")
    return DescriptionConversion(
        description=description,
        blocks_total=total,
        blocks_kept=kept,
        dropped_tags=dropped_tags,
        dropped_images=dropped_images,
        messages=messages,
    )


def _clean_text(content: str) -> str:
    return "".join(_block_html(b) for b in _parse(content).blocks if b[0] != "img")


def description_clean(description: dict) -> dict:
    """Normalise a sections dict: every TEXT through the cleaner, empty items/sections dropped, adjacent TEXT
    items of a section merged, sections with more than two items split. Idempotent; never truncates (the
    validator reports limits so nothing the user wrote disappears silently)."""
    sections_in = description.get("sections") if isinstance(description, dict) else None
    sections: list[dict] = []
    for section in sections_in if isinstance(sections_in, list) else []:
        raw_items = section.get("items") if isinstance(section, dict) else None
        items: list[dict] = []
        for item in raw_items if isinstance(raw_items, list) else []:
            if not isinstance(item, dict):
                continue
            kind = str(item.get("type", "")).upper()
            if kind == "TEXT":
                content = item.get("content")
                content = _clean_text(content) if isinstance(content, str) else ""
                if not content:
                    continue
                if items and items[-1]["type"] == "TEXT":
                    items[-1]["content"] = _clean_text(items[-1]["content"] + content)
                else:
                    items.append({"type": "TEXT", "content": content})
            elif kind == "IMAGE":
                url = item.get("url")
                if isinstance(url, str) and url.strip():
                    items.append({"type": "IMAGE", "url": url.strip()})
        for start in range(0, len(items), MAX_ITEMS):
            sections.append({"items": items[start : start + MAX_ITEMS]})
    return {"sections": sections}


def description_size_bytes(description: dict) -> int:
    """Bytes Allegro counts against the 40,000 limit: UTF-8 of the compact JSON of ``{"sections": ...}``."""
    sections = description.get("sections", []) if isinstance(description, dict) else []
    return len(json.dumps({"sections": sections}, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


# --------------------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DescriptionError:
    """One rule the description breaks; ``section``/``item`` are 0-based indexes (None for the whole thing)."""

    section: int | None
    item: int | None
    code: str
    reason: str

    @property
    def path(self) -> str:
        if self.section is None:
            return "sections"
        if self.item is None:
            return f"sections[{self.section}]"
        return f"sections[{self.section}].items[{self.item}]"

    @property
    def message(self) -> str:
        return f"{self.path}: {self.reason}"


_TOP = frozenset({"h1", "h2", "p", "ul", "ol"})
_CHILDREN: dict[str, frozenset[str]] = {
    "p": frozenset({"b"}),
    "li": frozenset({"b"}),
    "h1": frozenset(),
    "h2": frozenset(),
    "b": frozenset(),
    "ul": frozenset({"li"}),
    "ol": frozenset({"li"}),
}
_TEXT_ALLOWED = frozenset({"p", "li", "h1", "h2", "b"})
_VOID = frozenset("br img hr input meta link wbr source col area base embed param track".split())
_V_TOKEN_RE = re.compile(
    r"""(<!--.*?(?:-->|\Z))|(<![^>]*>?|<\?[^>]*>?)|<(/?)([A-Za-z][^\s/>]*)((?:[^>"']|"[^"]*"|'[^']*')*)>|(<)|([^<]+)""",
    re.S,
)
_V_ATTR_RE = re.compile(r"""([^\s=/"']+)""")
_V_ATTR_FULL_RE = re.compile(r"""([^\s=/"']+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?""")
_MAX_ERRORS_PER_ITEM = 10


def _allowed_text(allowed: frozenset[str]) -> str:
    return ", ".join(sorted(allowed)) if allowed else "brak (tylko tekst)"


def _text_errors(content: str) -> list[tuple[str, str]]:
    """(code, reason) for every way ``content`` breaks Allegro's TEXT grammar."""
    errors: list[tuple[str, str]] = []
    # stack entries: [tag, allowed children, text allowed, has content]
    stack: list[list] = []

    def add(code: str, reason: str) -> None:
        if len(errors) < _MAX_ERRORS_PER_ITEM and (code, reason) not in errors:
            errors.append((code, reason))

    def mark_content() -> None:
        if stack:
            stack[-1][3] = True

    for m in _V_TOKEN_RE.finditer(content):
        comment, other, closing, name, attrs, lt, text = m.groups()
        if comment is not None:
            add("text_comment", "komentarze HTML są niedozwolone")
            continue
        if other is not None:
            add("text_markup", f"niedozwolona konstrukcja HTML {other[:20]!r}")
            continue
        if lt is not None:
            add("text_char", 'niezakodowany znak "<" (użyj &lt;)')
            continue
        if text is not None:
            if text.strip():
                allowed_text = stack[-1][2] if stack else False
                if not allowed_text:
                    where = f'w znaczniku "{stack[-1][0]}"' if stack else "poza akapitem (na najwyższym poziomie)"
                    add("text_outside_block", f"tekst {where} jest niedozwolony: {text.strip()[:30]!r}")
                mark_content()
            continue
        if closing:
            if stack and stack[-1][0] == name:
                entry = stack.pop()
            elif any(e[0] == name for e in stack):
                while stack[-1][0] != name:
                    add("text_unclosed", f'niezamknięty znacznik "{stack.pop()[0]}"')
                entry = stack.pop()
            else:
                if name not in _VOID:
                    add("text_unexpected_close", f'nieoczekiwany znacznik zamykający "</{name}>"')
                continue
            if not entry[3] and entry[0] in _CHILDREN:
                add("text_empty_element", f'pusty znacznik "{entry[0]}"')
            mark_content()
            continue
        allowed = stack[-1][1] if stack else _TOP
        if name not in allowed:
            add("text_tag", f'niedozwolony znacznik "{name}" w tym miejscu, dozwolone: {_allowed_text(allowed)}')
        attr_text = attrs.strip()
        if attr_text.endswith("/"):
            attr_text = attr_text[:-1].strip()
            if name not in _VOID:
                add("text_self_closing", f'znacznik "{name}" nie może być samozamykający')
        if attr_text:
            for attr in _V_ATTR_FULL_RE.findall(attr_text):
                add("text_attribute", f'niedozwolony atrybut "{attr}" w znaczniku "{name}" (atrybuty są niedozwolone)')
        mark_content()
        if name in _VOID or m.group(0).endswith("/>"):
            continue
        if name in _CHILDREN:
            stack.append([name, _CHILDREN[name], name in _TEXT_ALLOWED, False])
        else:  # unknown tag: already reported; keep the parent's rules for its children to avoid cascades
            parent_allowed = stack[-1][1] if stack else _TOP
            stack.append([name, parent_allowed, True, True])
    for entry in reversed(stack):
        add("text_unclosed", f'niezamknięty znacznik "{entry[0]}"')
    return errors


def description_errors(description: dict, *, gallery: list[str] | None = None) -> list[DescriptionError]:
    """Structured list of every rule the description breaks (for the editor: highlight the section/item)."""
    errors: list[DescriptionError] = []
    if not isinstance(description, dict) or not isinstance(description.get("sections"), list):
        return [DescriptionError(None, None, "structure", 'opis musi być obiektem {"sections": [...]}')]
    sections = description["sections"]
    if not sections:
        errors.append(DescriptionError(None, None, "sections_count", "opis musi mieć co najmniej jedną sekcję"))
    elif len(sections) > MAX_SECTIONS:
        errors.append(
            DescriptionError(
                None, None, "sections_count", f"opis ma {len(sections)} sekcji, Allegro pozwala na najwyżej 100"
            )
        )
    gallery_set = set(gallery) if gallery is not None else None
    for s, section in enumerate(sections):
        items = section.get("items") if isinstance(section, dict) else None
        if not isinstance(items, list):
            errors.append(DescriptionError(s, None, "structure", 'sekcja musi mieć listę "items"'))
            continue
        if not 1 <= len(items) <= MAX_ITEMS:
            errors.append(
                DescriptionError(s, None, "items_count", f"sekcja ma {len(items)} elementów, dozwolone: 1 lub 2")
            )
        for i, item in enumerate(items):
            kind = item.get("type") if isinstance(item, dict) else None
            if kind == "TEXT":
                content = item.get("content")
                if not isinstance(content, str) or not content.strip():
                    errors.append(DescriptionError(s, i, "text_empty", "pusty tekst"))
                    continue
                for code, reason in _text_errors(content):
                    errors.append(DescriptionError(s, i, code, reason))
            elif kind == "IMAGE":
                url = item.get("url")
                if not _is_http_url(url):
                    errors.append(
                        DescriptionError(s, i, "image_url", f"adres zdjęcia musi być pełnym adresem http(s): {url!r}")
                    )
                elif gallery_set is not None and url not in gallery_set:
                    errors.append(
                        DescriptionError(
                            s, i, "image_not_in_gallery", f"zdjęcie {url} musi być także w galerii zdjęć oferty"
                        )
                    )
            else:
                errors.append(
                    DescriptionError(s, i, "item_type", f"nieznany typ elementu {kind!r}, dozwolone: IMAGE, TEXT")
                )
    size = description_size_bytes(description)
    if size > MAX_BYTES:
        errors.append(
            DescriptionError(None, None, "size", f"opis ma {size} bajtów, Allegro pozwala na najwyżej {MAX_BYTES}")
        )
    return errors


def description_validate(description: dict, *, gallery: list[str] | None = None) -> list[str]:
    """Every way the description breaks Allegro's rules, as Polish messages with their place; empty when valid."""
    return [e.message for e in description_errors(description, gallery=gallery)]


# --------------------------------------------------------------------------------------------------------------
# Templates and placeholders
# --------------------------------------------------------------------------------------------------------------
_PLACEHOLDER_RE = re.compile(r"\{\{\s*([^\s{}]+)\s*\}\}")
_ALIASES = {
    "nazwa": "name",
    "name": "name",
    "cena": "price",
    "price": "price",
    "sku": "sku",
    "ean": "ean",
    "marka": "brand",
    "brand": "brand",
    "zdjecie_glowne": "main_image",
    "zdjęcie_główne": "main_image",
    "main_image": "main_image",
}
_IMAGE_KEY = "main_image"


class UnknownPlaceholders(ValueError):
    """Placeholders that cannot be rendered; publishing must stop rather than show ``{{ x }}`` to buyers."""

    def __init__(self, names: list[str], problems: list[str] | None = None):
        self.names = names
        self.problems = problems or [f"nieznany znacznik {{{{ {n} }}}}" for n in names]
        super().__init__("; ".join(self.problems))


def _canonical_context(context: dict[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in context.items():
        values[_ALIASES.get(key, key)] = "" if value is None else str(value)
    return values


def description_placeholders(description: dict) -> set[str]:
    """Names of all placeholders used in TEXT contents and IMAGE urls (for template forms)."""
    names: set[str] = set()
    for section in description.get("sections", []):
        for item in section.get("items", []):
            names.update(_PLACEHOLDER_RE.findall(item.get("content") or item.get("url") or ""))
    return names


def description_render_placeholders(description: dict, context: dict[str, str]) -> dict:
    """Fill ``{{ nazwa }}``/``{{ name }}``, ``cena``/``price``, ``sku``, ``ean``, ``marka``/``brand`` (escaped) and
    ``{{ zdjecie_glowne }}``/``{{ main_image }}`` (an IMAGE url, or a TEXT item holding only that placeholder).

    Known names missing from ``context`` render empty; unknown names, or the main image used inside text or without
    a value, raise ``UnknownPlaceholders`` listing all of them."""
    values = _canonical_context(context)
    unknown: list[str] = []
    problems: list[str] = []

    def value_of(name: str) -> str | None:
        key = _ALIASES.get(name, name)
        if key in values:
            return values[key]
        if key in _ALIASES.values():
            return ""
        if name not in unknown:
            unknown.append(name)
            problems.append(f"nieznany znacznik {{{{ {name} }}}}")
        return None

    def text_sub(m: re.Match) -> str:
        name = m.group(1)
        if _ALIASES.get(name) == _IMAGE_KEY:
            if name not in unknown:
                unknown.append(name)
                problems.append(f"znacznik {{{{ {name} }}}} musi być jedynym elementem sekcji (zdjęcie), nie tekstem")
            return m.group(0)
        value = value_of(name)
        return m.group(0) if value is None else _escape(" ".join(value.split()))

    def image_url(raw: str) -> str:
        m = _PLACEHOLDER_RE.fullmatch(raw.strip())
        if m is None:
            return _PLACEHOLDER_RE.sub(lambda x: value_of(x.group(1)) or x.group(0), raw)
        value = value_of(m.group(1))
        if value is None:
            return raw
        if not value:
            unknown.append(m.group(1))
            problems.append(f"brak wartości dla {{{{ {m.group(1)} }}}} (zdjęcie główne produktu)")
        return value

    sections: list[dict] = []
    for section in description.get("sections", []):
        items: list[dict] = []
        for item in section.get("items", []):
            item = dict(item)
            if item.get("type") == "TEXT":
                content = item.get("content") or ""
                only = _PLACEHOLDER_RE.fullmatch(_html.unescape(re.sub(r"<[^>]*>", "", content)).strip())
                if only and _ALIASES.get(only.group(1)) == _IMAGE_KEY:
                    item = {"type": "IMAGE", "url": image_url(only.group(0))}
                else:
                    item["content"] = _PLACEHOLDER_RE.sub(text_sub, content)
            elif item.get("type") == "IMAGE":
                item["url"] = image_url(item.get("url") or "")
            items.append(item)
        sections.append({**section, "items": items})
    if unknown:
        raise UnknownPlaceholders(unknown, problems)
    return {"sections": sections}


def description_compose(header: dict | None, body: dict, footer: dict | None) -> dict:
    """A template's header sections, then the product's description, then the footer (copies; never mutates)."""
    sections: list[dict] = []
    for part in (header, body, footer):
        if part:
            sections.extend(copy.deepcopy(part.get("sections", [])))
    return {"sections": sections}
