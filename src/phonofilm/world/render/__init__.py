"""Rasterising world states into frames in three visual styles."""
