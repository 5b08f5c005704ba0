"""Small helpers shared across the package (as timm's ``_helpers``/``_manipulate``).

``errors``: ``MmsegHtError``, the base of every exception the package raises
for an input the user can fix; ``cli``: ``cli_main``, the one exit style of the
tools; ``safe_load``: reading and writing weight files without unpickling code;
``state_dicts``: state-dict differences and parameter counts; ``messages``:
name lists and random-initialisation banners for user-facing messages.
"""
from .cli import cli_main
from .errors import MmsegHtError
from .messages import list_names, warn_random_init
from .safe_load import (UnsafeWeightsError, WeightsFormatError, load_state_dict_safely,
                        read_torch_state_dict, save_state_dict_safely)
from .state_dicts import check_fits, count_parameters, describe_mismatch

__all__ = [
    'MmsegHtError', 'UnsafeWeightsError', 'WeightsFormatError', 'check_fits', 'cli_main',
    'count_parameters', 'describe_mismatch', 'list_names', 'load_state_dict_safely',
    'read_torch_state_dict', 'save_state_dict_safely', 'warn_random_init'
]
