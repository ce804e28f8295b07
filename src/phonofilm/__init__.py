"""phonofilm: joint video + audio generation trained on a world it renders itself."""

__version__ = "0.1.0"
