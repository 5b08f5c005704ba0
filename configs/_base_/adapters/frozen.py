# Baseline: frozen tower, only the task head trains.
adapter = None
method_name = 'Frozen'  # label in result tables
