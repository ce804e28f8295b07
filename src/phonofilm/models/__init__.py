"""Neural networks: video VAE, audio VAE + vocoder, text encoder, joint audio-video transformer."""
