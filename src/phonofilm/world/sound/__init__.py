"""Sound of the world: impacts, splashes, ambience, speech."""
