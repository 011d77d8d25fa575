"""What a page says in words: the key figures it opens with (the year's value and its change on the year before,
in words and numbers) and the transcript under each chart (largest, smallest, trend). Pure functions over figures
the page read from the marts; the page module chooses the figures, this module only words them."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reports.common import number

Format = Callable[[float], str]


@dataclass(frozen=True)
class KeyFigure:
    """One key figure: `key` names it for the tests and the pack, `value` as shown, `change` a sentence on the
    year before, `tone` good / bad / warn / "" (the left border's colour; the words say the same)."""

    key: str
    label: str
    value: str
    change: str = ""
    tone: str = ""


def change(current: float | None, previous: float | None, fmt: Format, year: int | str | None = None,
           rate: bool = False, count: bool = False) -> str:
    """"en hausse de 4,2 % sur 2024 (1 200 €)"; a rate moves in points: "en baisse de 3,1 points sur 2024
    (45,0 %)"; a count by its difference: "en hausse de 2 sur 2024 (3)". No previous year: says so."""
    if current is None:
        return ""
    since = f" sur {year}" if year is not None else " sur un an"
    if previous is None:
        return f"pas de valeur pour l’exercice précédent{'' if year is None else f' ({year})'}"
    delta = current - previous
    if rate:
        moved = number(abs(delta) * 100, 1) + " point" + ("s" if abs(delta) * 100 >= 2 else "")
    elif previous and not count:
        moved = number(abs(delta) / abs(previous) * 100, 1) + "\u202f%"
    else:
        moved = fmt(abs(delta))
    if abs(delta) < 1e-9 or moved.startswith("0,0"):
        return f"stable{since} ({fmt(previous)})"
    return f"{'en hausse' if delta > 0 else 'en baisse'} de {moved}{since} ({fmt(previous)})"


def key_figures(figures: Sequence[KeyFigure], title: str = "L’essentiel") -> str:
    """The block a page opens with: a list of cards, each label, value and change."""
    if not figures:
        return ""
    items = "".join(
        f'<li class="{html.escape(f.tone)}" data-key="{html.escape(f.key)}"><span class="l">{html.escape(f.label)}'
        f'</span><span class="v">{html.escape(f.value)}</span>'
        + (f'<span class="c">{html.escape(f.change)}</span>' if f.change else "") + "</li>" for f in figures)
    return f'<section aria-label="{html.escape(title)}"><h2>{html.escape(title)}</h2><ul class="kf">{items}</ul></section>'


def extremes(points: Sequence[tuple[str, float | None]], fmt: Format, what: str) -> str:
    """"<what> : le plus élevé, A (x) ; le plus bas, B (y)." over the points with a value."""
    known = [(label, value) for label, value in points if value is not None]
    if not known:
        return f"{what} : aucune valeur."
    if len(known) == 1:
        return f"{what} : {known[0][0]}, {fmt(known[0][1])}."
    high = max(known, key=lambda p: p[1])
    low = min(known, key=lambda p: p[1])
    return f"{what} : le plus élevé, {high[0]} ({fmt(high[1])}) ; le plus bas, {low[0]} ({fmt(low[1])})."


def trend(series: Sequence[tuple[int | str, float | None]], fmt: Format, what: str) -> str:
    """"<what> : de x en 2024 à y en 2026, en hausse." over the points with a value, in their order."""
    known = [(year, value) for year, value in series if value is not None]
    if len(known) < 2:
        return ""
    (first_year, first), (last_year, last) = known[0], known[-1]
    way = "stable" if abs(last - first) < 1e-9 else ("en hausse" if last > first else "en baisse")
    return f"{what} : de {fmt(first)} en {first_year} à {fmt(last)} en {last_year}, {way}."


def others_in_menu(groups: dict) -> str:
    """The transcript's last sentence under a chart with a menu: how many other views the menu shows."""
    return f" Le menu au-dessus du graphique montre les {len(groups) - 1} autres." if len(groups) > 1 else ""
