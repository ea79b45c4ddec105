"""Server-side PNG scatter of customers in 2-D (PCA), coloured by segment. Pillow only (Odoo depends on it).

The picture carries no text (the legend with the segment names is HTML next to it, in the user's language).
"""

import io

import numpy as np
from PIL import Image, ImageDraw

# 12 distinct colours (tab10 + 2); segment colour = PALETTE[color index % 12]
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#ad494a")


def color(index):
    return PALETTE[int(index) % len(PALETTE)]


def scatter_png(coords, colors, size=(720, 440), margin=24, radius=3):
    """Render points.

    :param coords: (n, 2) array-like of x, y
    :param colors: list of n hex colours
    :return: PNG bytes
    """
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([margin - 6, margin - 6, width - margin + 6, height - margin + 6], outline="#dee2e6")
    coords = np.asarray(coords, dtype=float).reshape(-1, 2)
    if len(coords):
        low, high = coords.min(axis=0), coords.max(axis=0)
        span = np.where(high - low < 1e-12, 1.0, high - low)
        scaled = (coords - low) / span
        xs = margin + scaled[:, 0] * (width - 2 * margin)
        ys = height - margin - scaled[:, 1] * (height - 2 * margin)
        for x, y, fill in zip(xs, ys, colors, strict=True):
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=fill)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
