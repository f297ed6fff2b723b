"""Where a small pop-up window (the quick chat) goes: next to the tray icon,
entirely inside the usable area of the screen that icon is on.

Pure geometry on plain tuples (no Qt), so every tray position and screen
layout can be tested directly; ``QuickChatWindow`` converts from and to QRect.

Rectangles are ``(x, y, width, height)`` with ``right = x + width`` exclusive.
A screen has its full ``geometry`` (which contains the tray panel) and its
``available`` area (without panels): the tray icon is found on a screen by
the former and the window is kept inside the latter.
"""

from __future__ import annotations

from typing import NamedTuple

SCREEN_MARGIN = 12   # gap kept between the window and the screen's edge / the icon


class Rect(NamedTuple):
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def centre(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2

    def contains_point(self, x: int, y: int) -> bool:
        return self.x <= x < self.right and self.y <= y < self.bottom

    def contains(self, other: Rect) -> bool:
        return (self.x <= other.x and self.y <= other.y
                and other.right <= self.right and other.bottom <= self.bottom)

    def overlap(self, other: Rect) -> int:
        width = min(self.right, other.right) - max(self.x, other.x)
        height = min(self.bottom, other.bottom) - max(self.y, other.y)
        return max(0, width) * max(0, height)


class Screen(NamedTuple):
    geometry: Rect
    available: Rect


class Frame(NamedTuple):
    """The window manager's decoration around the window's client area."""

    left: int = 0
    top: int = 0
    right: int = 0
    bottom: int = 0


NO_FRAME = Frame()


def screen_for(anchor: Rect | None, screens: list[Screen]) -> Screen:
    """The screen showing ``anchor`` (its centre, else the most of it, else the
    nearest); the first screen (the primary) when there is no anchor."""
    if not screens:
        raise ValueError("no screens")
    if anchor is None or anchor.width <= 0 or anchor.height <= 0:
        return screens[0]
    cx, cy = anchor.centre
    for screen in screens:
        if screen.geometry.contains_point(cx, cy):
            return screen
    best = max(screens, key=lambda s: s.geometry.overlap(anchor))
    if best.geometry.overlap(anchor) > 0:
        return best

    def distance(screen: Screen) -> int:
        sx, sy = screen.geometry.centre
        return (sx - cx) ** 2 + (sy - cy) ** 2
    return min(screens, key=distance)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def place_window(size: tuple[int, int], screens: list[Screen], anchor: Rect | None = None,
                 *, frame: Frame = NO_FRAME, minimum: tuple[int, int] = (0, 0),
                 margin: int = SCREEN_MARGIN) -> Rect:
    """The client geometry for a window of ``size`` (client area, without the
    ``frame``) next to the tray icon ``anchor``, frame included inside the
    available area of the icon's screen, ``margin`` from its edges.

    Beside a tray at the bottom the window opens above the icon, at the top
    below it, at a side panel beside it; without an icon, bottom-right of
    the primary screen. A window larger than the area shrinks to fit (not
    below ``minimum``)."""
    area = screen_for(anchor, screens).available
    inner = Rect(area.x + margin, area.y + margin,
                 max(0, area.width - 2 * margin), max(0, area.height - 2 * margin))
    extra_w, extra_h = frame.left + frame.right, frame.top + frame.bottom
    width = max(minimum[0], min(size[0], inner.width - extra_w))
    height = max(minimum[1], min(size[1], inner.height - extra_h))
    outer_w, outer_h = width + extra_w, height + extra_h

    if anchor is None or anchor.width <= 0 or anchor.height <= 0:
        x, y = inner.right - outer_w, inner.bottom - outer_h
    else:
        cx, cy = anchor.centre
        if anchor.right <= area.x or anchor.x >= area.right:     # a side panel
            x = anchor.right + margin if anchor.right <= area.x \
                else anchor.x - margin - outer_w
            y = cy - outer_h // 2
        else:                                                    # a top or bottom panel
            x = cx - outer_w // 2
            y = anchor.bottom + margin if cy < area.centre[1] \
                else anchor.y - margin - outer_h
    x = _clamp(x, inner.x, inner.right - outer_w)
    y = _clamp(y, inner.y, inner.bottom - outer_h)
    return Rect(x + frame.left, y + frame.top, width, height)


def fits(client: Rect, frame: Frame, screens: list[Screen]) -> bool:
    """Whether the framed window lies wholly inside one screen's available area."""
    outer = Rect(client.x - frame.left, client.y - frame.top,
                 client.width + frame.left + frame.right,
                 client.height + frame.top + frame.bottom)
    return any(screen.available.contains(outer) for screen in screens)
