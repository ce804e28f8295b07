"""All media I/O (mp4, wav, webp, jpg) lives here; nothing else touches codecs.

- `write_mp4` / `read_mp4` / `probe`: H.264 + AAC MP4 files (mp4_write, mp4_read, probe).
- `write_wav` / `read_wav`: 16-bit PCM WAV (wav).
- `thumbnail` / `spritesheet` / `encode_image` / `decode_image`: stills through Pillow (images).
"""

from phonofilm.media.images import decode_image, encode_image, spritesheet, thumbnail
from phonofilm.media.mp4_read import MediaData, read_mp4
from phonofilm.media.mp4_write import write_mp4
from phonofilm.media.probe import MediaInfo, probe
from phonofilm.media.wav import read_wav, write_wav

__all__ = [
    "MediaData",
    "MediaInfo",
    "decode_image",
    "encode_image",
    "probe",
    "read_mp4",
    "read_wav",
    "spritesheet",
    "thumbnail",
    "write_mp4",
    "write_wav",
]
