# Hybrid-tuning adapter: spectral filter (per channel and frequency bin) +
# noise-estimated weights over depth-wise convs k=3/5/7, after every block.
adapter = dict(
    type='HTAdapter',
    bottleneck=64,
    frequency_filter='spectral',
    noise_estimation=True,
    blocks='all')
method_name = 'HT'  # label in result tables
