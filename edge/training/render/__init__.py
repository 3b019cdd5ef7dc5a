"""Synthetic licence plates with character boxes, for training the plate reader and the plate detector.

A plate is drawn flat (PIL) in one of the :data:`LAYOUTS`, with realistic random text, then goes
through surface effects (dirt, shadow, glare, small occlusion), a perspective warp and camera
effects (colour cast, night or infrared look, blur, low resolution, noise, JPEG). Only the
characters 0-9 and A-Z of the plate text carry a box; everything else on a plate (bands, country
codes, state names, slogans, dashes, seals, stickers, screws, frames) is unlabelled clutter.

* :func:`render_plate` draws one plate on a synthetic background.
* :func:`reader_sample` composites one onto a background and cuts it exactly as the run-time
  reader does (:func:`edge.vision.crop.crop_plate` on a detector-like, jittered plate box).
* :func:`write_reader_set` and :func:`write_scene_set` write YOLO training sets for the reader
  and for the detector (plates pasted into real train photos).

Only numpy, OpenCV and Pillow are imported. ``python -m edge.training.render --help`` for the CLI.
"""

from edge.training.render.command_line import main
from edge.training.render.contact_sheet import draw_sheet
from edge.training.render.dataset_writers import write_reader_set, write_scene_set
from edge.training.render.pixels import Image8, PixelBox, ReaderBox
from edge.training.render.plate_fonts import FontSet
from edge.training.render.plate_layouts import LAYOUTS
from edge.training.render.plate_rendering import render_plate
from edge.training.render.plate_types import CharBox, EffectConfig, RenderedPlate
from edge.training.render.reader_samples import reader_sample

__all__ = [
    "LAYOUTS",
    "CharBox",
    "EffectConfig",
    "FontSet",
    "Image8",
    "PixelBox",
    "ReaderBox",
    "RenderedPlate",
    "draw_sheet",
    "main",
    "reader_sample",
    "render_plate",
    "write_reader_set",
    "write_scene_set",
]
