#!/usr/bin/python3
"""PyTorch twin of Tessera's CNN, and safetensors files in numpy.

The network is the one models/fp32/ts_arch.h describes:

    conv1 (in_c -> c1, k1 x k1) -> ReLU -> maxpool 2x2
    conv2 (c1 -> c2, k2 x k2)   -> ReLU -> maxpool 2x2 -> flatten (c, h, w)
    fc1 -> ReLU -> fc2 -> ReLU -> fc3 (classes)

Its state_dict names and layouts are those of Tessera's weights files
(models/data/ts_weights.h, docs/weights.md), so either side reads the other's.

Subcommands (run with /usr/bin/python3: Debian's torch lives there):

    export OUT --input-shape 3,32,32 --classes 100 [--seed S] [--with-arch]
           [--input X.safetensors]
        Random PyTorch init -> OUT. Without --with-arch the file has no
        "tessera.arch" metadata, like any PyTorch export. With --input, also
        prints the logits of the exported model (same JSON as `check`).
    check FILE [--input-shape C,H,W] [--input X.safetensors] [--n N]
        Loads FILE into the nn.Module with load_state_dict(strict=True), runs
        a fixed input and prints {"arch": {...}, "logits": [[...], ...]}.
        The input is tensor "x" [n][c][h][w] of --input, else the ramp
        x[i] = ((37 * i) % 101) / 50 - 1 over the flat index i of [n][c][h][w].
    sgd FILE --batch B.safetensors --out OUT [--steps N] [--lr X]
        [--momentum X] [--weight-decay X]
        N steps of torch.optim.SGD with nn.CrossEntropyLoss on the batch
        x [n][c][h][w], y [n] of B (labels stored as floats), from the
        weights of FILE; writes the updated weights to OUT (tests compare
        them with Tessera's trainer).

Exit status: 0 ok, 1 bad file or arguments, 77 numpy/torch missing.
"""

import argparse
import dataclasses
import json
import os
import struct
import sys

EXIT_NO_TORCH = 77  # the automake "skipped" code; tests turn it into a skip

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - depends on the machine
    if __name__ != "__main__":
        raise
    sys.stderr.write(f"tessera_torch: {exc}; install python3-torch and "
                     "python3-numpy and run with /usr/bin/python3\n")
    sys.exit(EXIT_NO_TORCH)

ARCH_KEY = "tessera.arch"
MOMENTUM_PREFIX = "momentum."
MAX_HEADER = 100 * 1000 * 1000


class FormatError(Exception):
    """A file that is not what it should be; the message names file and field."""


# ---- Architecture ----------------------------------------------------------

@dataclasses.dataclass
class Arch:
    """Mirror of ts_arch; field names are the keys of "tessera.arch"."""
    in_c: int
    in_h: int
    in_w: int
    k1: int = 5
    k2: int = 5
    c1: int = 6
    c2: int = 16
    f1: int = 120
    f2: int = 84
    classes: int = 10

    def pooled(self):
        """Spatial size after conv2 + pooling (pooling floors, like PyTorch)."""
        h, w = (self.in_h - self.k1 + 1) // 2, (self.in_w - self.k1 + 1) // 2
        return (h - self.k2 + 1) // 2, (w - self.k2 + 1) // 2

    def flat(self):
        h, w = self.pooled()
        return self.c2 * h * w

    def validate(self):
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise FormatError(f"arch field {f.name} = {v!r} is not a positive integer")
        h, w = self.pooled()
        if h < 1 or w < 1:
            raise FormatError(f"kernels k1={self.k1}, k2={self.k2} do not fit a "
                              f"{self.in_h}x{self.in_w} input")

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text):
        try:
            d = json.loads(text)
        except ValueError as exc:
            raise FormatError(f"{ARCH_KEY} is not JSON: {exc}") from None
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(d, dict) or set(d) != names:
            raise FormatError(f"{ARCH_KEY} must have exactly the fields {sorted(names)}")
        a = cls(**d)
        a.validate()
        return a

    @classmethod
    def from_tensors(cls, tensors, in_shape):
        """Derives k1, k2, c1, c2, f1, f2, classes from weight shapes."""
        try:
            c1, _, k1, _ = tensors["conv1.weight"].shape
            c2, _, k2, _ = tensors["conv2.weight"].shape
            f1 = tensors["fc1.weight"].shape[0]
            f2 = tensors["fc2.weight"].shape[0]
            classes = tensors["fc3.weight"].shape[0]
        except (KeyError, ValueError) as exc:
            raise FormatError(f"cannot derive the architecture from the tensor "
                              f"shapes: {exc!r}") from None
        a = cls(*in_shape, k1=k1, k2=k2, c1=c1, c2=c2, f1=f1, f2=f2,
                classes=classes)
        a.validate()
        return a


class TesseraNet(nn.Module):
    """The CNN of ts_arch.h; parameter names match Tessera's weights files."""

    def __init__(self, a: Arch):
        super().__init__()
        self.arch = a
        self.conv1 = nn.Conv2d(a.in_c, a.c1, a.k1)
        self.conv2 = nn.Conv2d(a.c1, a.c2, a.k2)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(a.flat(), a.f1)
        self.fc2 = nn.Linear(a.f1, a.f2)
        self.fc3 = nn.Linear(a.f2, a.classes)

    def forward(self, x):  # x: [n][in_c][in_h][in_w] -> [n][classes]
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


# ---- safetensors (F32 only), no dependency beyond numpy ---------------------
# Debian 12 has no python3-safetensors; the format is small enough to do here.

def st_save(path, tensors, metadata=None):
    """Writes {name: array} as F32 plus string metadata, atomically."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, arr in tensors.items():
        a = np.array(arr, dtype="<f4", order="C")  # keeps 0-d (ascontiguousarray would not)
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [off, off + a.nbytes]}
        blobs.append(a.tobytes())
        off += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # keeps the data section 8-byte aligned
    tmp = f"{path}.tmp.{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def st_load(path):
    """Returns ({name: float32 array}, {key: value}); checks the layout."""
    with open(path, "rb") as f:
        buf = bytearray(f.read())  # writable, so torch.from_numpy is happy
    if len(buf) < 8:
        raise FormatError(f"{path}: {len(buf)} bytes, too short for safetensors")
    (n,) = struct.unpack_from("<Q", buf)
    if n == 0 or n > MAX_HEADER or n > len(buf) - 8:
        raise FormatError(f"{path}: header length {n} is impossible for a "
                          f"{len(buf)}-byte file")
    try:
        header = json.loads(bytes(buf[8:8 + n]))
    except ValueError as exc:
        raise FormatError(f"{path}: header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise FormatError(f"{path}: header is not a JSON object")
    meta = header.pop("__metadata__", None) or {}
    data = memoryview(buf)[8 + n:]
    tensors, spans = {}, []
    for name, e in header.items():
        if not isinstance(e, dict) or e.get("dtype") != "F32":
            raise FormatError(f"{path}: tensor {name!r} has dtype "
                              f"{e.get('dtype') if isinstance(e, dict) else e!r}; "
                              "only F32 is supported")
        try:
            shape, (b, end) = tuple(int(d) for d in e["shape"]), e["data_offsets"]
            ok = (all(d >= 0 for d in shape) and 0 <= b <= end <= len(data)
                  and end - b == 4 * int(np.prod(shape)))
        except (KeyError, TypeError, ValueError):
            raise FormatError(f"{path}: tensor {name!r} lacks a valid shape "
                              "or data_offsets") from None
        if not ok:
            raise FormatError(f"{path}: tensor {name!r}: offsets [{b}, {end}] "
                              f"do not fit shape {list(shape)} in "
                              f"{len(data)} data bytes")
        tensors[name] = np.frombuffer(data[b:end], dtype="<f4").reshape(shape)
        spans.append((b, end, name))
    at = 0
    for b, end, name in sorted(spans):
        if b != at:
            raise FormatError(f"{path}: tensor {name!r} starts at byte {b}, "
                              f"expected {at} (gap or overlap)")
        at = end
    if at != len(data):
        raise FormatError(f"{path}: {len(data) - at} data bytes belong to no tensor")
    return tensors, meta


# ---- Model <-> file ----------------------------------------------------------

def state_dict_numpy(model):
    return {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}


def load_model(path, in_shape=None):
    """nn.Module from a weights file (or checkpoint: momentum.* is ignored)."""
    tensors, meta = st_load(path)
    if ARCH_KEY in meta:
        a = Arch.from_json(meta[ARCH_KEY])
    elif in_shape:
        a = Arch.from_tensors(tensors, in_shape)
    else:
        raise FormatError(f"{path} has no {ARCH_KEY} metadata: pass --input-shape")
    model = TesseraNet(a)
    weights = {k: torch.from_numpy(v) for k, v in tensors.items()
               if not k.startswith(MOMENTUM_PREFIX)}
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as exc:
        raise FormatError(f"{path}: {exc}") from None
    return model


def ramp_input(a: Arch, n):
    """Deterministic input any language can recompute exactly."""
    i = np.arange(n * a.in_c * a.in_h * a.in_w, dtype=np.int64)
    x = (((37 * i) % 101) / 50.0 - 1.0).astype(np.float32)
    return x.reshape(n, a.in_c, a.in_h, a.in_w)


def run_logits(model, input_path, n):
    a = model.arch
    if input_path:
        tensors, _ = st_load(input_path)
        if "x" not in tensors:
            raise FormatError(f"{input_path}: no tensor 'x'")
        x = tensors["x"]
        if x.ndim != 4 or x.shape[1:] != (a.in_c, a.in_h, a.in_w):
            raise FormatError(f"{input_path}: x has shape {list(x.shape)}, the model "
                              f"wants [n, {a.in_c}, {a.in_h}, {a.in_w}]")
    else:
        x = ramp_input(a, n)
    with torch.no_grad():
        y = model(torch.from_numpy(np.array(x, dtype=np.float32)))
    # float32 -> Python float is exact and json prints it round-trippably.
    return {"arch": dataclasses.asdict(a), "logits": y.numpy().tolist()}


# ---- CLI ---------------------------------------------------------------------

def parse_shape(text):
    try:
        c, h, w = (int(v) for v in text.replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not C,H,W") from None
    return c, h, w


def cmd_export(args):
    a = Arch(*args.input_shape, k1=args.k1, k2=args.k2, classes=args.classes)
    a.validate()
    torch.manual_seed(args.seed)
    model = TesseraNet(a)
    meta = {"format": "pt"}
    if args.with_arch:
        meta[ARCH_KEY] = a.to_json()
    st_save(args.out, state_dict_numpy(model), meta)
    if args.input:
        print(json.dumps(run_logits(model, args.input, 0)))


def cmd_sgd(args):
    """Steps of PyTorch SGD on one batch, as Tessera's trainer does them."""
    model = load_model(args.file)
    tensors, _ = st_load(args.batch)
    if "x" not in tensors or "y" not in tensors:
        raise FormatError(f"{args.batch}: needs tensors x [n][c][h][w] and y [n]")
    x = torch.from_numpy(np.array(tensors["x"]))
    y = torch.from_numpy(np.array(tensors["y"]).astype(np.int64))
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                          weight_decay=args.weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(args.steps):
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    st_save(args.out, state_dict_numpy(model), {"format": "pt"})


def cmd_check(args):
    model = load_model(args.file, args.input_shape)
    print(json.dumps(run_logits(model, args.input, args.n)))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="random-init model -> .safetensors")
    e.add_argument("out")
    e.add_argument("--input-shape", type=parse_shape, required=True, metavar="C,H,W")
    e.add_argument("--classes", type=int, required=True)
    e.add_argument("--k1", type=int, default=5)
    e.add_argument("--k2", type=int, default=5)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--with-arch", action="store_true",
                   help=f"store {ARCH_KEY} metadata as Tessera does")
    e.add_argument("--input", help="also print logits for tensor x of this file")
    e.set_defaults(fn=cmd_export)
    g = sub.add_parser("sgd", help="SGD steps on one batch -> updated .safetensors")
    g.add_argument("file", help="weights with tessera.arch metadata")
    g.add_argument("--batch", required=True,
                   help="safetensors with x [n][c][h][w] and y [n] (labels as floats)")
    g.add_argument("--out", required=True)
    g.add_argument("--steps", type=int, default=1)
    g.add_argument("--lr", type=float, default=0.01)
    g.add_argument("--momentum", type=float, default=0.9)
    g.add_argument("--weight-decay", type=float, default=5e-4)
    g.set_defaults(fn=cmd_sgd)
    c = sub.add_parser("check", help="load strictly, print logits of a fixed input")
    c.add_argument("file")
    c.add_argument("--input-shape", type=parse_shape, metavar="C,H,W",
                   help=f"needed when the file has no {ARCH_KEY} metadata")
    c.add_argument("--input", help="safetensors file with tensor x [n][c][h][w]")
    c.add_argument("--n", type=int, default=2, help="ramp images when no --input")
    c.set_defaults(fn=cmd_check)
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # deterministic and polite on shared cores
    try:
        args.fn(args)
    except (FormatError, OSError) as exc:
        sys.stderr.write(f"tessera_torch: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
