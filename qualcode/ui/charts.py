"""Show an Altair chart with buttons that save it as PNG and SVG.

The image is rendered only when a button is clicked (a callable `data`), so a page with
several charts does not pay for images nobody downloads.
"""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import streamlit as st

from qualcode.analysis.charts import to_image


def _render(chart: alt.TopLevelMixin, fmt: str) -> Callable[[], bytes]:
    return lambda: to_image(chart, fmt)


def show(chart: alt.TopLevelMixin, name: str, key: str) -> None:
    """Draw `chart` and offer it as `name`.png and `name`.svg."""
    st.altair_chart(chart, key=f"{key}_chart")
    png, svg, _ = st.columns([1, 1, 6])
    png.download_button("PNG", _render(chart, "png"), file_name=f"{name}.png", mime="image/png",
                        key=f"{key}_png", on_click="ignore", icon=":material/download:")
    svg.download_button("SVG", _render(chart, "svg"), file_name=f"{name}.svg", mime="image/svg+xml",
                        key=f"{key}_svg", on_click="ignore", icon=":material/download:")
