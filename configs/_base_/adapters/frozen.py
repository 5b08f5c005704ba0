# Baseline: frozen tower, only the task head trains.
adapter = None
