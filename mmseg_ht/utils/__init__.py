"""Small shared utilities (safe weight loading)."""
from .safe_load import (UnsafeWeightsError, WeightsFormatError,
                        load_state_dict_safely, save_state_dict_safely)

__all__ = ['UnsafeWeightsError', 'WeightsFormatError', 'load_state_dict_safely',
           'save_state_dict_safely']
