"""Allegro description cleaning, conversion and validation."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegro.descriptions.services.descriptions import (
    MAX_BYTES,
    DescriptionError,
    UnknownPlaceholders,
    description_clean,
    description_compose,
    description_conversion_report,
    description_errors,
    description_from_html,
    description_placeholders,
    description_render_placeholders,
    description_size_bytes,
    description_validate,
)

TAG_RE = re.compile(r"<(/?)([^\s>/]+)([^>]*)>")
ALLOWED = {"h1", "h2", "p", "ul", "ol", "li", "b"}
IMG = "https://a.allegroimg.com/original/11/abc.jpg"


def text_items(description: dict) -> list[str]:
    return [i["content"] for s in description["sections"] for i in s["items"] if i["type"] == "TEXT"]


def all_text(description: dict) -> str:
    return " ".join(text_items(description))


def assert_only_allowed_markup(description: dict) -> None:
    for content in text_items(description):
        for closing, name, attrs in TAG_RE.findall(content):
            assert name in ALLOWED, (name, content)
            assert attrs == "", (name, attrs, content)
        # every `<` in the output starts an allowed tag: nothing else can be parsed as markup
        assert content.count("<") == len(TAG_RE.findall(content))


def text(**items) -> dict:
    return {"type": "TEXT", "content": items.get("content", "<p>x</p>")}


def desc(*sections: list[dict]) -> dict:
    return {"sections": [{"items": list(items)} for items in sections]}


# ---------------------------------------------------------------------------------------------------------------
# Corpus: real-world HTML
# ---------------------------------------------------------------------------------------------------------------
WORD_PASTE = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta charset="utf-8">
<!--[if gte mso 9]><xml><o:OfficeDocumentSettings><o:AllowPNG/></o:OfficeDocumentSettings></xml><![endif]-->
<style>p.MsoNormal{mso-style-parent:"";margin:0cm;font-family:"Calibri"}</style></head><body lang=PL>
<p class=MsoNormal style='mso-margin-top-alt:auto;line-height:normal'><b><span style='font-size:14.0pt;
mso-fareast-language:PL'>Czajnik elektryczny Zelmer</span></b><o:p></o:p></p>
<p class=MsoListParagraphCxSpFirst style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]>
<span style='font-family:Symbol'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp; </span></span>
<![endif]>Pojemność 1,7&nbsp;l<o:p></o:p></p>
<p class=MsoNormal>Moc: <i>2200 W</i> &amp; filtr kamienia<o:p>&nbsp;</o:p></p>
<p class=MsoNormal><o:p>&nbsp;</o:p></p>
</body></html>"""

WEB_PAGE = """<div class="product"><section><h3 class="hdr">Opis produktu</h3>
<div>Pierwsza linia<br>Druga linia<br/><span style="color:red">Trzecia</span></div>
<p><strong>Ważne:</strong> produkt <em>nowy</em>, <u>oryginalny</u>.</p>
<table border="1"><thead><tr><th>Parametr</th><th>Wartość</th></tr></thead>
<tbody><tr><td>Waga</td><td>1,2 kg</td></tr><tr><td>Kolor</td><td></td></tr></tbody></table>
<h4>Zawartość</h4><ol><li>Czajnik</li><li>Podstawa<ol><li>kabel 1 m</li></ol></li></ol>
<img src="https://a.allegroimg.com/original/11/abc.jpg" width="600" alt="zdjęcie">
<img src="/media/local.jpg"><img src="data:image/png;base64,AAAA"></section></div>"""

XSS = """<p>Bezpieczny tekst</p>
<img src=x onerror=alert(1)>
<a href="javascript:alert(2)">kliknij</a>
<svg onload=alert(3)><circle r=1></circle></svg>
<script>alert(4)</script>
<style>body{background:url(javascript:alert(5))}</style>
<iframe src="https://evil.example/"></iframe>
<!-- <script>alert(6)</script> -->
<p onclick="alert(7)" style="x:expression(alert(8))">klik</p>
<math><mi xlink:href="javascript:alert(9)">m</mi></math>
<object data="x.swf"></object><embed src="x.swf">
<form action="javascript:alert(10)"><input value="v"><button>b</button></form>
<p>&lt;script&gt;alert(11)&lt;/script&gt; &amp; &quot;cytat&quot; &#x3C;img&#x3E;</p>
<IMG SRC="jav&#x09;ascript:alert(12);"><div style="background:url('javascript:alert(13)')">tło</div>
<p>koniec</p>"""


def test_word_paste_keeps_text_and_drops_office_markup():
    d = description_from_html(WORD_PASTE)
    assert description_validate(d) == []
    assert_only_allowed_markup(d)
    body = all_text(d)
    assert "Czajnik elektryczny Zelmer" in body
    assert "<ul><li>Pojemność 1,7 l</li></ul>" in body  # Word list paragraph -> list, glyph dropped
    assert "Moc: 2200 W &amp; filtr kamienia" in body
    for noise in ("mso-", "MsoNormal", "o:p", "OfficeDocumentSettings", "Calibri", "supportLists", "endif"):
        assert noise not in json.dumps(d), noise
    assert "<b>Czajnik elektryczny Zelmer</b>" in body


def test_word_numbered_and_bulleted_lists_become_lists():
    def item(glyph: str, content: str, cls: str = "MsoListParagraphCxSpMiddle") -> str:
        return (
            f"<p class={cls} style='mso-list:l0 level1 lfo1'><![if !supportLists]><span>{glyph}"
            f"<span style='font:7.0pt'>&nbsp;&nbsp;</span></span><![endif]>{content}<o:p></o:p></p>\n"
        )

    html = (
        "<p class=MsoNormal>Wstęp</p>"
        + item("1.", "pierwszy", "MsoListParagraphCxSpFirst")
        + item("2.", "drugi", "MsoListParagraphCxSpLast")
        + "<p class=MsoNormal>Środek</p>"
        + item("·", "<b>kropka</b>", "MsoListParagraph")
    )
    assert text_items(description_from_html(html)) == [
        "<p>Wstęp</p><ol><li>pierwszy</li><li>drugi</li></ol><p>Środek</p><ul><li><b>kropka</b></li></ul>"
    ]


def test_web_page_is_mapped_to_allegro_grammar():
    d = description_from_html(WEB_PAGE)
    assert description_validate(d) == []
    assert_only_allowed_markup(d)
    body = all_text(d)
    assert "<h2>Opis produktu</h2>" in body  # h3 -> h2
    assert "<p>Pierwsza linia</p><p>Druga linia</p><p>Trzecia</p>" in body  # br splits paragraphs
    assert "<p><b>Ważne:</b> produkt nowy, oryginalny.</p>" in body  # strong -> b, em/u -> text
    assert "<p>Parametr | Wartość</p><p>Waga | 1,2 kg</p><p>Kolor</p>" in body  # table row -> paragraph
    assert "<h2>Zawartość</h2><ol><li>Czajnik</li><li>Podstawa</li><li>kabel 1 m</li></ol>" in body  # flattened
    images = [i["url"] for s in d["sections"] for i in s["items"] if i["type"] == "IMAGE"]
    assert images == [IMG]  # relative and data: images dropped


def test_xss_vectors_leave_nothing_executable_and_keep_text():
    d = description_from_html(XSS)
    assert description_validate(d) == []
    assert_only_allowed_markup(d)
    dumped = json.dumps(d, ensure_ascii=False).lower()
    for bad in (
        "<script",
        "<svg",
        "<iframe",
        "<img",
        "<a ",
        "<math",
        "<object",
        "<embed",
        "<form",
        "onerror=",
        "javascript:",
    ):
        assert bad not in dumped, bad
    body = all_text(d)
    for kept in ("Bezpieczny tekst", "kliknij", "klik", "tło", "koniec"):
        assert kept in body
    assert "alert(4)" not in body and "alert(6)" not in body  # script content and comments removed, not shown
    assert '&lt;script&gt;alert(11)&lt;/script&gt; &amp; "cytat" &lt;img&gt;' in body  # escaped text stays text
    assert all(i["type"] == "TEXT" for s in d["sections"] for i in s["items"])


def test_nested_lists_are_flattened_into_the_outer_list():
    d = description_from_html("<ul><li>a<ul><li>b<ol><li>c</li></ol></li></ul>d</li><li><p>e</p><p>f</p></li></ul>")
    assert text_items(d) == ["<ul><li>a</li><li>b</li><li>c</li><li>d</li><li>e f</li></ul>"]


def test_whitespace_entities_and_bold_boundaries_are_canonical():
    d = description_from_html(
        "<p>  a&nbsp;&nbsp;b <b> c </b><strong>d</strong> <b></b> e\n\tf </p><p> </p><b>luźny</b>"
    )
    assert text_items(d) == ["<p>a b <b>c d</b> e f</p><p><b>luźny</b></p>"]


def test_headings_cannot_hold_bold_and_start_sections():
    d = description_from_html("<h1><b>Tytuł</b></h1><p>x</p><h2>Drugi</h2><p>y</p>")
    assert d == desc([text(content="<h1>Tytuł</h1><p>x</p>")], [text(content="<h2>Drugi</h2><p>y</p>")])


def test_images_pair_with_neighbouring_text_in_allowed_layouts():
    img = f'<img src="{IMG}">'
    d = description_from_html(f"<p>a</p>{img}{img}{img}<p>b</p><p>c</p>")
    layouts = [tuple(i["type"] for i in s["items"]) for s in d["sections"]]
    assert layouts == [("TEXT", "IMAGE"), ("IMAGE", "IMAGE"), ("TEXT",)]
    assert description_validate(d, gallery=[IMG]) == []


def test_polish_nfd_letters_are_composed_and_emoji_kept():
    d = description_from_html("<p>Z\u0307o\u0301\u0142w 😀</p>")
    assert text_items(d) == ["<p>Żółw 😀</p>"]


def test_combining_solidus_cannot_fuse_with_a_tag_under_nfc():
    # NFC turns ">" + U+0338 into "≯": written raw after <b> it would break the tag wherever text is normalised
    d = description_from_html("<p>a<b>\u0338x</b>\u0338 =\u0338</p>")
    assert text_items(d) == ["<p>a<b>&#824;x</b>&#824; ≠</p>"]
    assert description_validate(d) == [] and description_clean(d) == d


def test_empty_or_textless_input_gives_no_sections_and_validator_says_so():
    for html in ("", "   ", "<script>x</script>", "<p> </p><div><br></div>", "<!-- c -->", '<img src="x">'):
        d = description_from_html(html)
        assert d == {"sections": []}
        assert [e.code for e in description_errors(d)] == ["sections_count"]


def test_large_input_is_truncated_at_a_block_boundary_and_reported():
    html = "".join(f"<p>Akapit numer {n} " + "ąę tekst " * 20 + "</p>" for n in range(400))
    report = description_conversion_report(html)
    d = report.description
    assert description_validate(d) == []
    assert description_size_bytes(d) <= MAX_BYTES
    assert report.truncated and report.blocks_total == 400 and 0 < report.blocks_kept < 400
    assert text_items(d)[-1].endswith("</p>")
    assert any("przycięto" in m for m in report.messages)


def test_many_headings_never_exceed_100_sections():
    d = description_from_html("".join(f"<h2>H{n}</h2><p>t{n}</p>" for n in range(150)))
    assert description_validate(d) == []
    assert "H149" in all_text(d)  # fits in fewer sections instead of being cut


def test_conversion_report_lists_what_could_not_be_kept():
    report = description_conversion_report(XSS + WEB_PAGE)
    joined = " ".join(report.messages)
    for word in ("script", "iframe", "svg", "tabele", "h3", "linki", "/media/local.jpg", "komentarze"):
        assert word in joined, word
    assert report.dropped_tags["script"] == 1 and "table" in report.dropped_tags
    assert not report.truncated
    clean = description_conversion_report("<p>Tylko <b>tekst</b></p>")
    assert clean.lossless and clean.messages == []


# ---------------------------------------------------------------------------------------------------------------
# Cleaning existing descriptions
# ---------------------------------------------------------------------------------------------------------------
def test_clean_normalises_items_and_is_idempotent():
    dirty = {
        "sections": [
            {"items": [{"type": "TEXT", "content": '<div class="x">a<br>b</div><strong>c</strong>', "extra": 1}]},
            {"items": []},
            {"items": [text(content="<p> </p>"), {"type": "IMAGE", "url": f" {IMG} "}]},
            {"items": [text(content="<p>1</p>"), text(content="<p>2</p>"), {"type": "IMAGE", "url": IMG}] * 2},
            {"items": [{"type": "VIDEO", "url": "x"}, "junk"]},
        ]
    }
    cleaned = description_clean(dirty)
    assert cleaned == desc(
        [text(content="<p>a</p><p>b</p><p><b>c</b></p>")],
        [{"type": "IMAGE", "url": IMG}],
        [text(content="<p>1</p><p>2</p>"), {"type": "IMAGE", "url": IMG}],
        [text(content="<p>1</p><p>2</p>"), {"type": "IMAGE", "url": IMG}],
    )
    assert description_clean(cleaned) == cleaned
    assert description_validate(cleaned, gallery=[IMG]) == []


def test_clean_drops_images_inside_text_keeping_the_break():
    cleaned = description_clean(desc([text(content=f'<p>a<img src="{IMG}">b</p>')]))
    assert cleaned == desc([text(content="<p>a</p><p>b</p>")])


# ---------------------------------------------------------------------------------------------------------------
# Validator: one test per rule, with the exact place in the message
# ---------------------------------------------------------------------------------------------------------------
def test_valid_description_has_no_errors():
    d = desc([text(content="<h1>T</h1><p>a <b>b</b></p><ul><li>x <b>y</b></li></ul><ol><li>z</li></ol>")])
    assert description_validate(d) == []


def test_section_count_limits():
    assert description_validate({"sections": []}) == ["sections: opis musi mieć co najmniej jedną sekcję"]
    many = desc(*[[text()] for _ in range(101)])
    assert description_validate(many) == ["sections: opis ma 101 sekcji, Allegro pozwala na najwyżej 100"]
    assert description_validate(desc(*[[text()] for _ in range(100)])) == []
    assert description_validate({"items": []}) == ['sections: opis musi być obiektem {"sections": [...]}']


def test_item_count_per_section():
    d = desc([text()], [], [text(), {"type": "IMAGE", "url": IMG}, text()])
    assert description_validate(d) == [
        "sections[1]: sekcja ma 0 elementów, dozwolone: 1 lub 2",
        "sections[2]: sekcja ma 3 elementów, dozwolone: 1 lub 2",
    ]


def test_item_type():
    d = desc([text()], [text(), {"type": "VIDEO"}])
    assert description_validate(d) == ["sections[1].items[1]: nieznany typ elementu 'VIDEO', dozwolone: IMAGE, TEXT"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<p>a<ul><li>x</li></ul></p>", 'niedozwolony znacznik "ul" w tym miejscu, dozwolone: b'),
        ("<b>x</b>", 'niedozwolony znacznik "b" w tym miejscu, dozwolone: h1, h2, ol, p, ul'),
        ("<li>x</li>", 'niedozwolony znacznik "li" w tym miejscu, dozwolone: h1, h2, ol, p, ul'),
        ("<ul><li>a<ul><li>b</li></ul></li></ul>", 'niedozwolony znacznik "ul" w tym miejscu, dozwolone: b'),
        ("<ul><p>a</p></ul>", 'niedozwolony znacznik "p" w tym miejscu, dozwolone: li'),
        ("<h1><b>x</b></h1>", 'niedozwolony znacznik "b" w tym miejscu, dozwolone: brak (tylko tekst)'),
        ("<p><p>x</p></p>", 'niedozwolony znacznik "p" w tym miejscu, dozwolone: b'),
        ("<p>a<br>b</p>", 'niedozwolony znacznik "br" w tym miejscu, dozwolone: b'),
        ("<p><strong>a</strong></p>", 'niedozwolony znacznik "strong" w tym miejscu, dozwolone: b'),
        ("<h3>x</h3>", 'niedozwolony znacznik "h3" w tym miejscu, dozwolone: h1, h2, ol, p, ul'),
        (
            "<table><tr><td>x</td></tr></table>",
            'niedozwolony znacznik "table" w tym miejscu, dozwolone: h1, h2, ol, p, ul',
        ),
        ("<P>x</P>", 'niedozwolony znacznik "P" w tym miejscu, dozwolone: h1, h2, ol, p, ul'),
        ('<p class="a">x</p>', 'niedozwolony atrybut "class" w znaczniku "p" (atrybuty są niedozwolone)'),
        ("<p><b onclick=x>x</b></p>", 'niedozwolony atrybut "onclick" w znaczniku "b" (atrybuty są niedozwolone)'),
        ("luźny tekst", "tekst poza akapitem (na najwyższym poziomie) jest niedozwolony: 'luźny tekst'"),
        ("<ul>x<li>a</li></ul>", "tekst w znaczniku \"ul\" jest niedozwolony: 'x'"),
        ("<p>x", 'niezamknięty znacznik "p"'),
        ("<p>x</p></b>", 'nieoczekiwany znacznik zamykający "</b>"'),
        ("<p></p>", 'pusty znacznik "p"'),
        ("<ul></ul>", 'pusty znacznik "ul"'),
        ("<p>a</p><!-- x -->", "komentarze HTML są niedozwolone"),
        ("<p>1 < 2</p>", 'niezakodowany znak "<" (użyj &lt;)'),
        ("<p/>", 'znacznik "p" nie może być samozamykający'),
    ],
)
def test_text_grammar_errors_name_the_section_and_item(content, message):
    d = desc([text()], [text(), text()], [text(content=content)])
    d["sections"][1]["items"][1] = {"type": "IMAGE", "url": IMG}
    assert f"sections[2].items[0]: {message}" in description_validate(d)
    errors = description_errors(d)
    assert all((e.section, e.item) == (2, 0) for e in errors)


def test_empty_text_item():
    assert description_validate(desc([text(content="  ")])) == ["sections[0].items[0]: pusty tekst"]


@pytest.mark.parametrize(
    "url", ["/media/x.jpg", "x.jpg", "javascript:alert(1)", "data:image/png;base64,AA", "ftp://a/b", "", None]
)
def test_image_needs_absolute_http_url(url):
    d = desc([text(), {"type": "IMAGE", "url": url}])
    assert description_validate(d) == [f"sections[0].items[1]: adres zdjęcia musi być pełnym adresem http(s): {url!r}"]


def test_image_must_be_in_gallery_when_gallery_given():
    d = desc([{"type": "IMAGE", "url": IMG}, {"type": "IMAGE", "url": IMG + "?2"}])
    assert description_validate(d) == []
    assert description_validate(d, gallery=[IMG, IMG + "?2"]) == []
    assert description_validate(d, gallery=[IMG]) == [
        f"sections[0].items[1]: zdjęcie {IMG}?2 musi być także w galerii zdjęć oferty"
    ]
    assert [(e.section, e.item, e.code) for e in description_errors(d, gallery=[])] == [
        (0, 0, "image_not_in_gallery"),
        (0, 1, "image_not_in_gallery"),
    ]


def test_size_limit_counts_utf8_json_bytes():
    d = desc([text(content="<p>" + "ż" * 100 + "</p>")])
    assert description_size_bytes(d) == len(json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode())
    assert description_size_bytes(desc([text(content="<p>😀</p>")])) == description_size_bytes(
        desc([text(content="<p>abcd</p>")])
    )
    # 2-byte letters: a text of 20,000 "ż" is over the limit although it has fewer than 40,000 characters
    big = desc([text(content="<p>" + "ż" * 20_000 + "</p>")])
    size = description_size_bytes(big)
    assert size > MAX_BYTES
    assert description_validate(big) == [f"sections: opis ma {size} bajtów, Allegro pozwala na najwyżej {MAX_BYTES}"]


def test_structured_errors_match_messages():
    d = desc([text(content="<div>x</div>")], [{"type": "IMAGE", "url": "x"}])
    errors = description_errors(d)
    assert all(isinstance(e, DescriptionError) for e in errors)
    assert [e.message for e in errors] == description_validate(d)
    assert {(e.section, e.item, e.code) for e in errors} == {(0, 0, "text_tag"), (1, 0, "image_url")}


# ---------------------------------------------------------------------------------------------------------------
# Templates and placeholders
# ---------------------------------------------------------------------------------------------------------------
def test_placeholders_render_escaped_values_in_polish_and_english():
    template = desc(
        [text(content="<h1>{{ nazwa }}</h1><p>Cena: {{cena}} zł, SKU {{ sku }}, EAN {{ ean }}, {{ marka }}</p>")],
        [text(content="<p>{{ name }} / {{ brand }} / {{ price }}</p>"), {"type": "IMAGE", "url": "{{ main_image }}"}],
        [text(content="<p>{{ zdjecie_glowne }}</p>")],
    )
    context = {"nazwa": 'Garnek <b>"XL"</b> & pokrywka', "cena": "99,00", "sku": "G-1", "ean": "", "brand": "Zel"}
    context["main_image"] = IMG
    out = description_render_placeholders(template, context)
    assert out["sections"][0]["items"][0]["content"] == (
        '<h1>Garnek &lt;b&gt;"XL"&lt;/b&gt; &amp; pokrywka</h1><p>Cena: 99,00 zł, SKU G-1, EAN , Zel</p>'
    )
    assert out["sections"][1]["items"] == [
        text(content='<p>Garnek &lt;b&gt;"XL"&lt;/b&gt; &amp; pokrywka / Zel / 99,00</p>'),
        {"type": "IMAGE", "url": IMG},
    ]
    assert out["sections"][2]["items"] == [{"type": "IMAGE", "url": IMG}]
    assert "{{" not in json.dumps(out)
    assert description_validate(out, gallery=[IMG]) == []
    assert template["sections"][1]["items"][1]["url"] == "{{ main_image }}"  # input untouched


def test_unknown_placeholders_are_reported_not_left_in_output():
    template = desc([text(content="<p>{{ nazwa }} {{ kolor }} {{ colour }} {{ kolor }}</p>")])
    with pytest.raises(UnknownPlaceholders) as exc:
        description_render_placeholders(template, {"nazwa": "X"})
    assert exc.value.names == ["kolor", "colour"]
    assert "kolor" in str(exc.value)
    assert description_placeholders(template) == {"nazwa", "kolor", "colour"}
    # a custom value given in the context is not unknown
    out = description_render_placeholders(template, {"nazwa": "X", "kolor": "czerwony", "colour": "red"})
    assert out["sections"][0]["items"][0]["content"] == "<p>X czerwony red czerwony</p>"


def test_main_image_inside_text_or_without_value_is_an_error():
    with pytest.raises(UnknownPlaceholders):
        description_render_placeholders(desc([text(content="<p>Zdjęcie: {{ main_image }}</p>")]), {"main_image": IMG})
    with pytest.raises(UnknownPlaceholders):
        description_render_placeholders(desc([{"type": "IMAGE", "url": "{{ zdjecie_glowne }}"}]), {})


def test_compose_puts_header_and_footer_around_body_without_mutating():
    header = desc([text(content="<h1>Sklep</h1>")])
    body = desc([text(content="<p>opis</p>")], [{"type": "IMAGE", "url": IMG}])
    footer = desc([text(content="<p>Zwroty 30 dni</p>")])
    out = description_compose(header, body, footer)
    assert [s["items"][0].get("content", s["items"][0].get("url")) for s in out["sections"]] == [
        "<h1>Sklep</h1>",
        "<p>opis</p>",
        IMG,
        "<p>Zwroty 30 dni</p>",
    ]
    out["sections"][1]["items"][0]["content"] = "zmienione"
    assert body["sections"][0]["items"][0]["content"] == "<p>opis</p>"
    assert description_compose(None, body, None) == body


# ---------------------------------------------------------------------------------------------------------------
# Property-based: arbitrary HTML in, Allegro-valid, allow-listed, idempotent description out
# ---------------------------------------------------------------------------------------------------------------
TAGS = (
    "p div span b strong i em u s h1 h2 h3 h4 h5 h6 ul ol li menu dl dt dd table thead tbody tr td th caption br hr "
    "img a script style iframe svg math object embed noscript template textarea select option button form input "
    "section article header footer blockquote pre code sup sub font center o:p xml title head body html frameset "
    "video audio plaintext xmp"
).split()
ATTRS = [
    "",
    ' class="MsoNormal"',
    " class=MsoListParagraphCxSpMiddle",
    " style='mso-bidi-font-weight:normal;color:red'",
    " onerror=alert(1)",
    ' onload="alert(1)"',
    ' src="x"',
    f' src="{IMG}"',
    ' src="http://example.com/a b.jpg"',
    ' src="javascript:alert(1)"',
    ' href="javascript:alert(1)"',
    " data-x='<p>'",
    ' title="a&quot;b"',
]
PIECES = [
    "a", "Zażółć", "gęślą", " ", "  ", "\n", "\t", "\xa0", "<", ">", "&", "&amp;", "&lt;", "&nbsp;", "&#1;",
    "&#x1F600;", "&bogus;", '"', "'", "😀", "e\u0301", "Z\u0307", "o\u0301", "\u0142", "{{ nazwa }}", "<!--", "-->",
    "]]>", "\x00", "\x07", "\u0338", "&#x338;", "=", "&quot;",
    "<![if !supportLists]>1.<![endif]>", "\u200b", "\ufeff", "|",
]  # fmt: skip

texts = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=6).map("".join),
    st.text(max_size=12),
)


def _element(args) -> str:
    tag, attrs, children, close = args
    inner = "".join(children)
    return f"<{tag}{attrs}>{inner}" + (f"</{tag}>" if close else "")


html_fragments = st.recursive(
    texts,
    lambda children: st.tuples(
        st.sampled_from(TAGS), st.sampled_from(ATTRS), st.lists(children, max_size=4), st.booleans()
    ).map(_element),
    max_leaves=25,
)
html_documents = st.lists(html_fragments, max_size=5).map("".join)

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(html_documents)
def test_any_html_becomes_a_valid_allow_listed_idempotent_description(html):
    d = description_from_html(html)
    assert_only_allowed_markup(d)
    if d["sections"]:
        assert description_validate(d) == []
    else:
        assert [e.code for e in description_errors(d)] == ["sections_count"]
    assert description_clean(d) == d
    assert description_size_bytes(d) <= MAX_BYTES and len(d["sections"]) <= 100


sections_strategy = st.lists(
    st.lists(
        st.one_of(
            html_fragments.map(lambda h: {"type": "TEXT", "content": h}),
            st.sampled_from([IMG, "x.jpg", ""]).map(lambda u: {"type": "IMAGE", "url": u}),
        ),
        max_size=3,
    ).map(lambda items: {"items": items}),
    max_size=4,
).map(lambda sections: {"sections": sections})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sections_strategy)
def test_clean_is_idempotent_and_text_always_valid(description):
    once = description_clean(description)
    assert description_clean(once) == once
    assert_only_allowed_markup(once)
    for error in description_errors(once):
        assert error.code in {"sections_count", "image_url"}, error.message
