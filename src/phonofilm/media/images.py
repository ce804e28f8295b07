"""Still images through Pillow: thumbnails (WebP), spritesheets (JPEG), upload encode/decode."""

from __future__ import annotations

import io
import os
import warnings
from math import ceil
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from phonofilm.media._arrays import check_frames, check_image
from phonofilm.media._files import atomic_output

DEFAULT_MAX_PIXELS = 4096 * 4096  # uploads larger than this are refused before decoding
FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}
JPEG_MAX_SIDE = 65_535  # the JPEG format cannot store a wider or taller image


def thumbnail(
    frames: np.ndarray, path: str | os.PathLike[str], width: int | None = None, quality: int = 80
) -> Path:
    """Write the middle frame of uint8 [T, H, W, 3] as WebP, scaled to `width` (aspect kept); return path."""
    frames = check_frames(frames)
    image = Image.fromarray(frames[frames.shape[0] // 2])
    if width is not None:
        image = image.resize(_scaled_size(image.size, width), Image.Resampling.LANCZOS)
    return _save(image, path, "WEBP", quality=quality, method=4)


def spritesheet(
    frames: np.ndarray,
    path: str | os.PathLike[str],
    columns: int = 5,
    tile_width: int = 160,
    count: int = 25,
    quality: int = 85,
) -> Path:
    """Write a JPEG grid of `count` evenly spaced frames (row by row, `columns` wide); return path.

    Frame i of the grid is the middle frame of the i-th of `count` equal slices of the clip; with fewer
    frames than `count`, every frame is used once. Tiles are `tile_width` wide, the clip's aspect kept.
    """
    frames = check_frames(frames)
    if columns < 1 or tile_width < 1 or count < 1:
        raise ValueError(f"columns, tile_width and count must be >= 1, got {columns}, {tile_width}, {count}")
    total = frames.shape[0]
    picked = min(count, total)
    indices = ((np.arange(picked) + 0.5) * total / picked).astype(int)  # centre of each slice
    tile_size = _scaled_size((frames.shape[2], frames.shape[1]), tile_width)
    grid_columns, rows = min(columns, picked), ceil(picked / columns)
    sheet_size = (grid_columns * tile_size[0], rows * tile_size[1])
    if max(sheet_size) > JPEG_MAX_SIDE:
        raise ValueError(
            f"spritesheet {sheet_size[0]}x{sheet_size[1]} exceeds JPEG's {JPEG_MAX_SIDE} px per side"
        )
    sheet = Image.new("RGB", sheet_size)
    for slot, index in enumerate(indices):
        tile = Image.fromarray(frames[index]).resize(tile_size, Image.Resampling.LANCZOS)
        row, column = divmod(slot, columns)
        sheet.paste(tile, (column * tile_size[0], row * tile_size[1]))
    return _save(sheet, path, "JPEG", quality=quality)


def encode_image(image: np.ndarray, format: str = "png", quality: int = 90) -> bytes:
    """Encode uint8 [H, W, 3] as PNG, JPEG or WebP bytes."""
    pil_format = _pil_format(format)
    buffer = io.BytesIO()
    options = {} if pil_format == "PNG" else {"quality": quality}
    Image.fromarray(check_image(image)).save(buffer, format=pil_format, **options)
    return buffer.getvalue()


def decode_image(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, formats: tuple[str, ...] = ("png", "jpeg", "webp")
) -> np.ndarray:
    """Decode PNG/JPEG/WebP bytes into uint8 [H, W, 3]; ValueError on other formats, bombs or corrupt data.

    The size is checked from the header before any pixel is decoded. EXIF rotation is applied;
    transparent pixels are composited over black. Animated images give their first frame.
    """
    allowed = sorted({_pil_format(name) for name in formats})
    try:
        # Pillow's own bomb check warns (or raises) from a process-wide limit; ours is the one that counts.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=allowed)
        width, height = image.size
        if width * height > max_pixels:
            raise ValueError(
                f"image is {width}x{height} = {width * height} pixels, more than max_pixels={max_pixels}"
            )
        image.load()
        image = ImageOps.exif_transpose(image)
        return np.asarray(_flatten_alpha(image), dtype=np.uint8)  # [H, W, 3]
    except Image.DecompressionBombError as err:
        raise ValueError(f"image is too large to decode safely (max_pixels={max_pixels}): {err}") from err
    except UnidentifiedImageError as err:
        raise ValueError(f"not an image in an allowed format ({', '.join(allowed)})") from err
    except (OSError, SyntaxError) as err:  # Pillow reports truncated or corrupt data as these
        raise ValueError(f"corrupt or truncated image: {err}") from err


def _pil_format(name: str) -> str:
    try:
        return FORMATS[name.lower()]
    except KeyError:
        raise ValueError(f"image format {name!r} is not one of {sorted(FORMATS)}") from None


def _flatten_alpha(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(black, rgba).convert("RGB")
    return image.convert("RGB")


def _scaled_size(size: tuple[int, int], width: int) -> tuple[int, int]:
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    return width, max(1, round(size[1] * width / size[0]))


def _save(image: Image.Image, path: str | os.PathLike[str], pil_format: str, **options: object) -> Path:
    with atomic_output(path) as tmp:
        image.save(tmp, format=pil_format, **options)
    return Path(path)
