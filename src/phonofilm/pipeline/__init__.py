"""Prompt → storyboard → conditioning → denoise → decode → Clip. The only place that runs the generator."""
