# Mona: multi-scale depth-wise convs with equal weights, no frequency filter.
adapter = dict(type='MonaAdapter', bottleneck=64, blocks='all')
method_name = 'Mona'  # label in result tables
