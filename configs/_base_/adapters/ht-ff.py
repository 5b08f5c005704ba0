# Ablation "FF only": HT with fixed equal branch weights (1/3) instead of the estimator.
adapter = dict(
    type='HTAdapter',
    bottleneck=64,
    frequency_filter='spectral',
    noise_estimation=False,
    blocks='all')
method_name = 'HT (FF only)'  # label in result tables
