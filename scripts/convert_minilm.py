#!/usr/bin/env python3
"""Convert a Hugging Face BERT sentence-embedding model (safetensors + vocab) to GGUF, without torch.

llama.cpp's own converter imports torch (gigabytes from PyPI) only to read the checkpoint; a
safetensors file is a JSON header followed by raw little-endian arrays, so numpy reads it
directly. The GGUF metadata and tensor names follow llama.cpp's `conversion/bert.py` for the
`bert` architecture, so llama.cpp loads the result as it would its own conversion.

Usage: convert_minilm.py MODEL_DIR OUT.gguf [--outtype f16|f32]

MODEL_DIR holds config.json, model.safetensors, vocab.txt, tokenizer.json and, for
sentence-transformers models, modules.json with a Pooling module (mean pooling for MiniLM).
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np
import gguf

SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file as a numpy array (memory-mapped, no copy)."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = SAFETENSORS_DTYPES.get(info["dtype"])
        if dtype is None:
            raise SystemExit(f"error: tensor {name} has dtype {info['dtype']}, which this converter does not read")
        start, end = info["data_offsets"]
        tensors[name] = data[start:end].view(dtype).reshape(info["shape"])
    return tensors


def pooling_type(model_dir: Path) -> gguf.PoolingType | None:
    """The sentence-transformers pooling mode, as llama.cpp's converter reads it."""
    modules = model_dir / "modules.json"
    if not modules.is_file():
        return None
    for module in json.loads(modules.read_text()):
        if module["type"].endswith("Pooling"):
            cfg = json.loads((model_dir / module["path"] / "config.json").read_text())
            if cfg.get("pooling_mode_mean_tokens"):
                return gguf.PoolingType.MEAN
            if cfg.get("pooling_mode_cls_token"):
                return gguf.PoolingType.CLS
            raise SystemExit("error: only mean and CLS pooling are supported")
    return None


def vocabulary(model_dir: Path) -> tuple[list[str], list[int]]:
    """WordPiece tokens in id order, rewritten to llama.cpp's "phantom space" form.

    Word-initial pieces get a leading U+2581, continuation pieces ("##x") lose their prefix,
    and the tokenizer's special tokens ([CLS], [SEP], ...) are CONTROL tokens kept verbatim.
    """
    tokens = (model_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")
    if tokens and tokens[-1] == "":
        tokens.pop()
    special = set()
    tokenizer_json = model_dir / "tokenizer.json"
    if tokenizer_json.is_file():
        for added in json.loads(tokenizer_json.read_text(encoding="utf-8")).get("added_tokens", []):
            if added.get("special"):
                special.add(added["id"])
    out, types = [], []
    for i, tok in enumerate(tokens):
        if i in special:
            out.append(tok)
            types.append(gguf.TokenType.CONTROL)
        elif tok.startswith("##"):
            out.append(tok[2:])
            types.append(gguf.TokenType.NORMAL)
        else:
            out.append("\u2581" + tok)
            types.append(gguf.TokenType.NORMAL)
    return out, types


def hf_name(name: str) -> str:
    if name.startswith("bert."):
        name = name[5:]
    if name.endswith(".gamma"):
        name = name[:-6] + ".weight"
    if name.endswith(".beta"):
        name = name[:-5] + ".bias"
    return name


SKIPPED = {"embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"}


def convert(model_dir: Path, out: Path, outtype: str) -> None:
    config = json.loads((model_dir / "config.json").read_text())
    arch = gguf.MODEL_ARCH.BERT
    n_layers = config["num_hidden_layers"]
    writer = gguf.GGUFWriter(out, gguf.MODEL_ARCH_NAMES[arch])

    writer.add_name(model_dir.name if model_dir.name != "model" else "all-MiniLM-L6-v2")
    # The sentence-transformers limit (256 for MiniLM) is the one the model was trained and is
    # evaluated at; the position table (512 rows) is larger. llama.cpp reads it as the context.
    st_config = model_dir / "sentence_bert_config.json"
    max_seq = json.loads(st_config.read_text()).get("max_seq_length") if st_config.is_file() else None
    n_ctx = min(max_seq or config["max_position_embeddings"], config["max_position_embeddings"])
    writer.add_context_length(n_ctx)
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_block_count(n_layers)
    writer.add_head_count(config["num_attention_heads"])
    writer.add_layer_norm_eps(config.get("layer_norm_eps", 1e-12))
    writer.add_causal_attention(False)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if outtype == "f16" else gguf.LlamaFileType.ALL_F32)
    pooling = pooling_type(model_dir)
    if pooling is not None:
        writer.add_pooling_type(pooling)

    tokens, types = vocabulary(model_dir)
    writer.add_token_type_count(config.get("type_vocab_size", 1))
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    gguf.SpecialVocab(model_dir, n_vocab=len(tokens)).add_to_gguf(writer)

    names = gguf.get_tensor_name_map(arch, n_layers)
    forced_f32 = (gguf.MODEL_TENSOR.POS_EMBD, gguf.MODEL_TENSOR.TOKEN_TYPES)
    forced_f32_names = {gguf.TENSOR_NAMES[t] + ".weight" for t in forced_f32}
    for name, array in read_safetensors(model_dir / "model.safetensors").items():
        name = hf_name(name)
        if name in SKIPPED:
            continue
        new_name = names.get_name(name, try_suffixes=(".weight", ".bias"))
        if new_name is None:
            raise SystemExit(f"error: no GGUF name for tensor {name}; is this a BERT model?")
        data = np.asarray(array, dtype=np.float32)
        if new_name == gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.POS_EMBD] + ".weight":
            # llama.cpp expects one row per position of the context; rows past it are never read.
            data = data[:n_ctx]
        # 1-D tensors, norms and position/type embeddings stay F32, as in llama.cpp's converter.
        if outtype == "f16" and data.ndim > 1 and new_name not in forced_f32_names and not new_name.endswith("_norm.weight"):
            data = data.astype(np.float16)
        writer.add_tensor(new_name, data)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir", type=Path, help="folder with config.json, model.safetensors, vocab.txt")
    parser.add_argument("out", type=Path, help="GGUF file to write")
    parser.add_argument("--outtype", choices=("f16", "f32"), default="f16", help="type of the 2-D weights (default f16)")
    args = parser.parse_args()
    for required in ("config.json", "model.safetensors", "vocab.txt"):
        if not (args.model_dir / required).is_file():
            print(f"error: {args.model_dir / required} is missing", file=sys.stderr)
            return 1
    convert(args.model_dir, args.out, args.outtype)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
