"""Small helpers shared across the package (as timm's ``_helpers``/``_manipulate``).

``safe_load``: reading and writing weight files without unpickling code;
``state_dicts``: state-dict differences and parameter counts; ``messages``:
name lists and random-initialisation banners for user-facing messages.
"""
from .messages import list_names, warn_random_init
from .safe_load import (UnsafeWeightsError, WeightsFormatError, load_state_dict_safely,
                        read_torch_state_dict, save_state_dict_safely)
from .state_dicts import check_fits, count_parameters, describe_mismatch

__all__ = [
    'UnsafeWeightsError', 'WeightsFormatError', 'check_fits', 'count_parameters',
    'describe_mismatch', 'list_names', 'load_state_dict_safely', 'read_torch_state_dict',
    'save_state_dict_safely', 'warn_random_init'
]
