# Ablation "NE only": HT without the frequency filter.
adapter = dict(
    type='HTAdapter', bottleneck=64, frequency_filter=None, noise_estimation=True, blocks='all')
method_name = 'HT (NE only)'  # label in result tables
