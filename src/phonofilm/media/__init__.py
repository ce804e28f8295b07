"""All media I/O (mp4, wav, webp, jpg) lives here; nothing else touches codecs."""
