"""Perception from pixels and sound alone: objects and characters in frames, onsets and speech in audio."""
