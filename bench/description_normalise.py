"""Benchmark: normalising a ~40 kB shop description into Allegro's description (target: median < 5 ms).

Run from the repo root: ``python bench/description_normalise.py``. The last line is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from allegro.descriptions.services.descriptions import (
    description_from_html,
    description_size_bytes,
    description_validate,
)

RUNS = 300
TARGET_BYTES = 40_000
LIMIT_MS = 5.0

WORD_BLOCK = """<p class="MsoNormal" style="mso-margin-top-alt:auto;margin-bottom:0cm;line-height:normal">
<b><span style="font-size:12.0pt;font-family:&quot;Calibri&quot;,sans-serif;mso-fareast-language:PL">
Zestaw garnków ze stali nierdzewnej {n}</span></b><span style="font-size:12.0pt">&nbsp;– idealny do kuchni
indukcyjnej, gazowej i&nbsp;elektrycznej. Grube dno&nbsp;&amp; pokrywki ze szkła hartowanego.<o:p></o:p></span></p>
"""
WEB_BLOCK = """<div class="product-section" data-id="{n}"><h3 class="title">Cechy produktu {n}</h3>
<ul class="features"><li><strong>Pojemność:</strong> 2,5 l<ul><li>wewnętrzna skala</li></ul></li>
<li><span style="color:#c00">Dno kapsułowe</span> 3-warstwowe</li><li>Uchwyty nie nagrzewają się</li></ul>
<table class="spec"><tbody><tr><th>Materiał</th><td>stal 18/10</td></tr><tr><th>Waga</th><td>3,2&nbsp;kg</td></tr>
</tbody></table><p>Zamów dziś, wyślemy <em>jutro</em>!<br>Gwarancja 5 lat.<br/>Pytania? &lt;Napisz&gt;</p>
<img src="https://a.allegroimg.com/original/11/{n}.jpg" alt="zdjęcie {n}" width="800"></div>
"""


def build_html(target: int = TARGET_BYTES) -> str:
    parts: list[str] = ["<html><head><style>p.MsoNormal{margin:0}</style></head><body>"]
    n = 0
    while sum(len(p.encode()) for p in parts) < target:
        parts.append(WORD_BLOCK.format(n=n) if n % 2 else WEB_BLOCK.format(n=n))
        n += 1
    parts.append("<script>alert(1)</script></body></html>")
    return "".join(parts)


def main() -> None:
    html = build_html()
    for _ in range(20):
        description_from_html(html)
    times: list[float] = []
    for _ in range(RUNS):
        start = time.perf_counter()
        description = description_from_html(html)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    median = statistics.median(times)
    p95 = times[int(len(times) * 0.95) - 1]
    in_bytes = len(html.encode())
    out_bytes = description_size_bytes(description)
    sections = len(description["sections"])
    valid = description_validate(description) == []
    print(f"{'runs':<14}{RUNS:>10}")
    print(f"{'input bytes':<14}{in_bytes:>10}")
    print(f"{'output bytes':<14}{out_bytes:>10}")
    print(f"{'sections':<14}{sections:>10}")
    print(f"{'min ms':<14}{times[0]:>10.3f}")
    print(f"{'median ms':<14}{median:>10.3f}")
    print(f"{'p95 ms':<14}{p95:>10.3f}")
    print(f"{'valid output':<14}{str(valid):>10}")
    print(
        json.dumps(
            {
                "bench": "description_normalise",
                "median_ms": round(median, 3),
                "p95_ms": round(p95, 3),
                "min_ms": round(times[0], 3),
                "input_bytes": in_bytes,
                "output_bytes": out_bytes,
                "sections": sections,
                "runs": RUNS,
                "valid": valid,
                "pass": median < LIMIT_MS,
            }
        )
    )


if __name__ == "__main__":
    main()
