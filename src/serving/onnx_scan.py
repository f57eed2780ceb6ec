"""Find external-data references in an ONNX model's bytes without the `onnx` package (its import costs ~1 s).

A tensor stored "externally" names a file that onnxruntime opens next to the model: a bundle whose model.onnx did
that would read weights from a file its manifest neither lists nor hashes. This walks the protobuf wire format along
every path where ONNX keeps tensors (initializers, constant attributes, subgraphs of If/Loop, functions, training
graphs) and reports the first tensor with `data_location = EXTERNAL` or `external_data` entries.
"""

from __future__ import annotations

# message kind -> {field number: kind of the sub-message}; field numbers from onnx.proto (ModelProto, GraphProto, ...)
_CHILDREN: dict[str, dict[int, str]] = {
    "model": {7: "graph", 20: "training", 25: "function"},
    "graph": {1: "node", 5: "tensor", 15: "sparse"},
    "node": {5: "attr"},
    "attr": {5: "tensor", 6: "graph", 10: "tensor", 11: "graph", 22: "sparse", 23: "sparse"},
    "sparse": {1: "tensor", 2: "tensor"},
    "training": {1: "graph", 2: "graph"},
    "function": {7: "node", 11: "attr"},
    "tensor": {},
}
_EXTERNAL_DATA, _DATA_LOCATION, _NAME = 13, 14, 8  # TensorProto fields
MAX_DEPTH = 64  # nested subgraphs; protobuf's own parser stops at 100


class OnnxFormatError(ValueError):
    """Bytes that are not a well-formed protobuf message."""


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise OnnxFormatError("truncated or overlong varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def _fields(buf: memoryview):
    """(field number, wire type, value) of one message: value is an int (varint) or a memoryview (bytes)."""
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if size > len(buf) - pos:
                raise OnnxFormatError("field longer than its message")
            value, pos = buf[pos : pos + size], pos + size  # type: ignore[assignment]  # bytes of a field, ints elsewhere
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
            if pos > len(buf):
                raise OnnxFormatError("truncated fixed-width field")
            value = None
        else:
            raise OnnxFormatError(f"unsupported wire type {wire}")
        yield number, wire, value


def _scan(buf: memoryview, kind: str, depth: int) -> str | None:
    if depth > MAX_DEPTH:
        raise OnnxFormatError(f"subgraphs nested deeper than {MAX_DEPTH}")
    name = ""
    for number, wire, value in _fields(buf):
        if kind == "tensor":
            if number == _NAME and wire == 2:
                name = bytes(value[:200]).decode("utf-8", "replace")
            elif (number == _EXTERNAL_DATA and wire == 2) or (number == _DATA_LOCATION and value == 1):
                return name or "<unnamed>"
            continue
        child = _CHILDREN[kind].get(number)
        if child is not None and wire == 2:
            found = _scan(value, child, depth + 1)
            if found is not None:
                return found
    return None


def external_tensor(data: bytes) -> str | None:
    """Name of the first tensor of an ONNX model that keeps its data in another file, else None.

    Raises OnnxFormatError when the bytes are not a well-formed protobuf along the scanned paths.
    """
    return _scan(memoryview(data), "model", 0)
