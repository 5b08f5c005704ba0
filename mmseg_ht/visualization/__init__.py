"""Drawing of prediction overlays."""
