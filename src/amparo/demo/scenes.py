"""Benign moving pictures for demo videos and animations: coloured shapes drifting over a
gradient, drawn at any time and size (positions are fractions of the frame, so one scene can
be drawn small or large). Nothing but numpy and Pillow drawing."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

Colour = tuple[int, int, int]
Size = tuple[int, int]
SHAPES = (3, 7)  # [low, high)
MAX_SPEED = 0.12  # of the frame's width or height a second
SHAPE_SIDES = (0.12, 0.35)


@dataclass(frozen=True)
class Shape:
    ellipse: bool
    colour: Colour
    centre: tuple[float, float]  # at second 0, as fractions of the frame
    velocity: tuple[float, float]  # fractions of the frame a second
    extent: tuple[float, float]  # width and height, as fractions of the frame


@dataclass(frozen=True)
class Scene:
    """Shapes drifting across a linear gradient, wrapping round at the edges."""

    start: Colour
    end: Colour
    angle: float
    shapes: tuple[Shape, ...]

    def frame(self, seconds: float, size: Size) -> Image.Image:
        picture = _gradient(self.start, self.end, self.angle, size).copy()
        draw = ImageDraw.Draw(picture)
        width, height = size
        for shape in self.shapes:
            x = (shape.centre[0] + shape.velocity[0] * seconds) % 1.0 * width
            y = (shape.centre[1] + shape.velocity[1] * seconds) % 1.0 * height
            half_w, half_h = shape.extent[0] * width / 2, shape.extent[1] * height / 2
            box = (x - half_w, y - half_h, x + half_w, y + half_h)
            (draw.ellipse if shape.ellipse else draw.rectangle)(box, fill=shape.colour)
        return picture


def random_scene(rng: np.random.Generator) -> Scene:
    shapes = tuple(_random_shape(rng) for _ in range(int(rng.integers(*SHAPES))))
    return Scene(_colour(rng), _colour(rng), float(rng.uniform(0, 2 * np.pi)), shapes)


def _random_shape(rng: np.random.Generator) -> Shape:
    return Shape(
        ellipse=bool(rng.random() < 0.5),
        colour=_colour(rng),
        centre=(float(rng.random()), float(rng.random())),
        velocity=(float(rng.uniform(-MAX_SPEED, MAX_SPEED)),
                  float(rng.uniform(-MAX_SPEED, MAX_SPEED))),
        extent=(float(rng.uniform(*SHAPE_SIDES)), float(rng.uniform(*SHAPE_SIDES))),
    )  # fmt: skip


def _colour(rng: np.random.Generator) -> Colour:
    red, green, blue = (int(value) for value in rng.integers(0, 256, size=3))
    return red, green, blue


@lru_cache(maxsize=8)
def _gradient(start: Colour, end: Colour, angle: float, size: Size) -> Image.Image:
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width]
    ramp = xs / width * np.cos(angle) + ys / height * np.sin(angle)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-9)
    first, last = np.array(start, dtype=float), np.array(end, dtype=float)
    return Image.fromarray((first + ramp[..., None] * (last - first)).astype(np.uint8), "RGB")
