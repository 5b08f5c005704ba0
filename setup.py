"""mmseg_ht: an OpenMMLab plugin adapting frozen CLIP ViTs to ultrasound with PEFT adapters.

``pip install -e .`` into an existing mmseg 1.x environment. mmcv is not a
requirement here on purpose: mmseg already brings (full) mmcv, and listing
mmcv-lite would overwrite it. The fresh-setup path (``make test``/``make
demo``) installs the pinned stack from requirements/ instead.
"""
from pathlib import Path
from setuptools import find_packages, setup

HERE = Path(__file__).parent
# Every package mmseg_ht or tools/ import (tests/test_packaging.py checks this list and
# requirements/ against the code); ranges, so a user's own torch/mmseg stay in place.
INSTALL_REQUIRES = [
    'mmengine>=0.10.4,<1.0',
    'mmsegmentation>=1.2.0,<2.0',
    'mmpretrain>=1.2.0,<2.0',
    'open_clip_torch>=3.0,<4.0',
    'torch',
    'numpy<2.4',
    'scipy',
    'safetensors',
    'opencv-python',
    'pillow',
    'matplotlib',
    'pyyaml',
    'prettytable',
    'nibabel',
    'pydicom>=2.4',
]

setup(
    name='mmseg_ht',
    version='0.1.0',
    description='Hybrid-tuning (HT), Mona and LoRA adapters for CLIP ViTs on ultrasound, '
    'as an OpenMMLab (mmseg/mmpretrain) plugin',
    long_description=(HERE / 'README.md').read_text(encoding='utf-8') if
    (HERE / 'README.md').exists() else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mmseg_ht', 'mmseg_ht.*']),
    package_data={'mmseg_ht': ['models/backbones/model_configs/*.json', 'prompts/*.json']},
    python_requires='>=3.9',
    install_requires=INSTALL_REQUIRES,
    # BiomedCLIP/UniMedCLIP text towers (requirements/medical.txt pins the tested versions)
    extras_require={
        'medical': ['transformers>=4.45,<4.56', 'tokenizers>=0.20,<0.22'],
        # ONNX export / onnxruntime inference (requirements/runtime.txt pins them)
        'onnx': ['onnx>=1.16', 'onnxruntime>=1.17']
    },
    license='Apache-2.0',
)
