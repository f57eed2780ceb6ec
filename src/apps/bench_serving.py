"""ONNX Runtime rows of `src.apps.bench`: fp32 and int8 bundles of each saved encoder, measured in a child
that imports only `src.serving.onnx_predict` (no torch), exactly like a torch-free serving process.

Bundles are exported into the bench's temp folder, never into models/.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import sys
from pathlib import Path

from src.apps.bench_measure import measure, rss_mb, spawn, split_seconds

INT8_NOTE = "onnxruntime quantize_dynamic (weights int8, activations quantized per call) of the fp32 bundle"


def export_bundles(ckpt: str | Path, out: Path) -> dict[str, Path]:
    """{"fp32": folder, "int8": folder}: the checkpoint's ONNX bundle and its dynamically quantized copy."""
    from src.serving import onnx_export  # torch: in the parent only

    fp32 = onnx_export.export(ckpt, out / f"{Path(ckpt).stem}_onnx")
    return {"fp32": fp32, "int8": quantize_bundle(fp32, out / f"{Path(ckpt).stem}_onnx_int8")}


def quantize_bundle(src: Path, dest: Path) -> Path:
    """A copy of bundle `src` at `dest` with model.onnx quantized (quantize_dynamic, int8 weights), manifest updated."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from src.serving import bundle

    shutil.copytree(src, dest)
    model = onnx.load(str(src / bundle.MODEL_FILE))
    del model.graph.value_info[:]  # the exporter's shape annotations trip quantize_dynamic's shape inference
    plain = dest / "fp32_plain.onnx"
    onnx.save(model, str(plain))
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # "consider pre-processing" warning: not applicable to this graph
    try:
        quantize_dynamic(str(plain), str(dest / bundle.MODEL_FILE), weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
        plain.unlink()
        with contextlib.suppress(FileNotFoundError):
            (dest / "fp32_plain-inferred.onnx").unlink()
    doc = json.loads((dest / bundle.MANIFEST).read_text(encoding="utf-8"))
    doc["files"][bundle.MODEL_FILE] = bundle.sha256_file(dest / bundle.MODEL_FILE)
    doc["quantized"] = INT8_NOTE
    (dest / bundle.MANIFEST).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return dest


def measure_onnx(folder: str, inputs: dict[str, str], threads: int, n1: int) -> dict:
    """One ONNX row, in a fresh spawned child: the same measurements as the torch rows, without importing torch."""
    rss0 = rss_mb()
    from src.serving.bundle import MODEL_FILE
    from src.serving.onnx_predict import load_onnx
    from src.serving.scoring import MAX_TOKENS

    rss1 = rss_mb()
    preds = {threads: load_onnx(folder, threads)}
    size = (Path(folder) / MODEL_FILE).stat().st_size
    out: dict = {"backend": "onnxruntime", "size_bytes": size, "max_tokens": MAX_TOKENS}
    out.update(rss_imports_mb=rss1 - rss0, rss_model_load_mb=rss_mb() - rss1)

    def with_threads(t: int):
        if t not in preds:
            preds[t] = load_onnx(folder, t)
        pred = preds[t]
        return lambda texts, batch: pred.predict(texts, batch)[pred.labels].to_numpy()

    out.update(measure(with_threads, inputs, threads, n1))
    out["synthetic_split"] = split_seconds(preds[threads], inputs["synthetic"])
    out["torch_imported"] = "torch" in sys.modules
    return out


def onnx_rows(name: str, ckpt: str, inputs: dict[str, str], threads: int, n1: int, tmp: Path) -> dict[str, dict]:
    """ONNX Runtime fp32 and int8 rows of one saved encoder (bundles exported into `tmp`)."""
    rows = {}
    for prec, folder in export_bundles(ckpt, tmp).items():
        row = spawn(measure_onnx, str(folder), inputs, threads, n1)
        row["note"] = INT8_NOTE if prec == "int8" else "exported bundle (src.serving.onnx_export), onnxruntime"
        rows[f"{name.removesuffix('_fp32')}_onnx_{prec}"] = row
    return rows
