"""The chain of custody as one horizontal bar: each holder's period a coloured segment, each gap
a hatched one, with the years under it. Geometry only; `templates/suppliers/_custody.html`
draws it as inline SVG (no script, and the template escapes every name)."""

from dataclasses import dataclass
from datetime import date

from .domain.custody import CustodyChain, CustodyPeriod
from .domain.history import holder_key

WIDTH = 720
BAR_HEIGHT = 28
MIN_SEGMENT = 3  # px: a short period is still seen
LABEL_MIN_WIDTH = 70  # px: narrower segments are named in the list under the bar
CHARACTER_WIDTH = 7  # px per character of a label, roughly, at 12 px
PALETTE = ("#0b6e4f", "#4a4f8c", "#b26b00", "#2f6f8f", "#7a4e8c", "#5c7a29")


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    period: CustodyPeriod
    colour: str  # a holder's colour; gaps are hatched instead
    label: str  # shown inside the segment where it fits, else ""

    @property
    def text_x(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class CustodyBar:
    width: int
    height: int
    bar_height: int
    segments: tuple[Segment, ...]
    ticks: tuple[Tick, ...]


def _label(text: str, width: float) -> str:
    if width < LABEL_MIN_WIDTH:
        return ""
    fits = int((width - 8) // CHARACTER_WIDTH)
    return text if len(text) <= fits else text[: max(fits - 1, 1)] + "…"


def custody_bar(chain: CustodyChain, *, width: int = WIDTH) -> CustodyBar | None:
    """None where there is nothing to draw: no event, or no holder known at all (a sentence
    says that better than a bar that is one gap)."""
    if not chain.periods or not chain.any_holder_known:
        return None
    start, end = chain.start, chain.end
    span = max((end - start).days, 1)
    colours = {holder_key(h): PALETTE[i % len(PALETTE)] for i, h in enumerate(chain.holders)}

    def x_of(day: date) -> float:
        return round((day - start).days / span * width, 1)

    segments = []
    for period in chain.periods:
        x = x_of(period.start)
        segment_width = max(x_of(period.end) - x, MIN_SEGMENT)
        name = period.holder if period.holder is not None else "gap"
        segments.append(
            Segment(
                x=x,
                width=round(segment_width, 1),
                period=period,
                colour=colours.get(holder_key(period.holder or ""), ""),
                label=_label(name, segment_width),
            )
        )
    return CustodyBar(
        width=width,
        height=BAR_HEIGHT + 22,
        bar_height=BAR_HEIGHT,
        segments=tuple(segments),
        ticks=_year_ticks(start, end, x_of),
    )


MAX_TICKS = 12


def _year_ticks(start: date, end: date, x_of) -> tuple[Tick, ...]:
    years = list(range(start.year + 1, end.year + 1))
    step = max(1, -(-len(years) // MAX_TICKS))
    return tuple(Tick(x_of(date(year, 1, 1)), str(year)) for year in years[::step])
