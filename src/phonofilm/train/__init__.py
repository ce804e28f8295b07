"""Training: data streams and buckets, trainer, checkpoints, distributed wrappers."""
