"""mmseg_ht test suite."""
