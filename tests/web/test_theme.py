import pytest

from formserver.web.theme import WHITE, contrast, readable_on_white, theme_css


@pytest.mark.parametrize(
    ("brand", "on_brand", "brand_text"),
    [
        ("#1f4e79", "#ffffff", "#1f4e79"),
        ("#2f5bd3", "#ffffff", "#2f5bd3"),
        ("#e07a1f", "#000000", "#a85c17"),
        ("#ffff00", "#000000", "#737300"),
    ],
)
def test_the_theme_gives_readable_text_colours_for_a_brand(brand, on_brand, brand_text):
    css = theme_css(brand)

    assert f"--fs-brand: {brand};" in css
    assert f"--fs-on-brand: {on_brand};" in css
    assert f"--fs-brand-text: {brand_text};" in css


@pytest.mark.parametrize("channel", range(0, 256, 15))
def test_any_grey_is_darkened_until_it_reads_on_white(channel):
    grey = (channel, channel, channel)

    assert contrast(readable_on_white(grey), WHITE) >= 4.5


def test_contrast_of_black_on_white_is_21():
    assert contrast((0, 0, 0), WHITE) == pytest.approx(21)
