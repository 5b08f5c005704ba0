"""Training/test-time hooks and engine pieces."""
