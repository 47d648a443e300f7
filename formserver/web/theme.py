"""A client's brand colour as CSS, with text colours that stay readable with it.

Brands come in every colour, and a light one (a bright orange, a yellow) would
make white button labels and brand-coloured text on white fail WCAG contrast.
So the theme also carries the text colour to use on the brand, and a darker
shade of the brand for text on the white page.
"""

from __future__ import annotations

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
#: WCAG 2 level AA contrast for text of normal size.
MIN_CONTRAST = 4.5

RGB = tuple[int, int, int]


def theme_css(color: str) -> str:
    """The ``:root`` variables for a brand ``color`` written ``#rrggbb``."""
    brand = _rgb(color)
    # Of white and black, one always reaches 4.5:1 on any colour.
    on_brand = max((WHITE, BLACK), key=lambda text: contrast(brand, text))
    return (
        f":root {{ --fs-brand: {_hex(brand)}; --fs-on-brand: {_hex(on_brand)};"
        f" --fs-brand-text: {_hex(readable_on_white(brand))}; }}\n"
    )


def readable_on_white(color: RGB) -> RGB:
    """``color``, darkened just enough to be readable as text on white."""
    shade = color
    step = 0
    while contrast(shade, WHITE) < MIN_CONTRAST:
        step += 1
        shade = _darken(color, step / 20)
    return shade


def contrast(first: RGB, second: RGB) -> float:
    """The WCAG contrast ratio of two colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(color: RGB) -> float:
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in color)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _darken(color: RGB, amount: float) -> RGB:
    red, green, blue = (round(channel * (1 - amount)) for channel in color)
    return red, green, blue


def _rgb(color: str) -> RGB:
    # The client schema admits only #rrggbb.
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _hex(color: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)
