"""Task heads on the multi-level CLIP maps."""
