#!/usr/bin/python3
"""The PyTorch anchor Tessera is measured against: the same CNN, same recipe.

    bench [--threads 2] [--batch 64] [--seconds 3] [--side 32] [--channels 3]
          [--classes 100] [--k1 5] [--k2 5]
        Training and inference throughput on random data; prints key=value
        lines (train_img_per_s, infer_img_per_s, torch version).
    train --data DIR [--epochs 30] [--batch 64] [--lr 0.01] [--momentum 0.9]
          [--weight-decay 5e-4] [--seed 1] [--threads 2] [--out FILE.json]
        Trains on CIFAR-100 (binary version: DIR/train.bin, DIR/test.bin) with
        Tessera's default recipe (normalised by the training set's per-channel
        mean/std, reshuffled every epoch, plain SGD with momentum) and writes
        per-epoch test accuracy to FILE.json (rewritten atomically each epoch).

Run with /usr/bin/python3 (Debian's python3-torch lives there).
"""

import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from tessera_torch import Arch, TesseraNet  # noqa: E402


def cmd_bench(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    arch = Arch(in_c=a.channels, in_h=a.side, in_w=a.side, k1=a.k1, k2=a.k2,
                classes=a.classes)
    model = TesseraNet(arch)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9,
                          weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    pool = 16
    xs = torch.rand(pool, a.batch, a.channels, a.side, a.side) * 2 - 1
    ys = torch.randint(0, a.classes, (pool, a.batch))
    for i in range(3):  # warm-up
        opt.zero_grad()
        loss_fn(model(xs[i]), ys[i]).backward()
        opt.step()
    done, t0, i = 0, time.perf_counter(), 0
    while time.perf_counter() - t0 < a.seconds:
        opt.zero_grad()
        loss_fn(model(xs[i % pool]), ys[i % pool]).backward()
        opt.step()
        done += a.batch
        i += 1
    train = done / (time.perf_counter() - t0)
    model.eval()
    with torch.no_grad():
        model(xs[0])
        done, t0, i = 0, time.perf_counter(), 0
        while time.perf_counter() - t0 < a.seconds:
            model(xs[i % pool])
            done += a.batch
            i += 1
    infer = done / (time.perf_counter() - t0)
    # PyTorch's own matmul ceiling (its BLAS), best of 3 at n = 2048, so its
    # GFLOP/s can be judged like Tessera's.
    n = 2048
    ma, mb = torch.rand(n, n), torch.rand(n, n)
    torch.mm(ma, mb)
    best = 1e30
    for _ in range(3):
        t0 = time.perf_counter()
        torch.mm(ma, mb)
        best = min(best, time.perf_counter() - t0)
    print(f"torch_version={torch.__version__}")
    blas = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    print(f"torch_blas={blas.group(1) if blas else 'unknown'}")
    print(f"sgemm2048_peak_gflops={2.0 * n ** 3 / best / 1e9:.1f}")
    print(f"torch_threads={torch.get_num_threads()}")
    print(f"train_img_per_s={train:.0f}")
    print(f"infer_img_per_s={infer:.0f}")


def load_cifar100(path):
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size % 3074:
        raise SystemExit(f"torch_anchor: {path}: size {raw.size} is not a "
                         "whole number of 3074-byte records")
    rec = raw.reshape(-1, 3074)
    return rec[:, 2:].reshape(-1, 3, 32, 32), rec[:, 1].astype(np.int64)


def write_json_atomic(path, obj):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def cmd_train(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xtr, ytr = load_cifar100(os.path.join(a.data, "train.bin"))
    xte, yte = load_cifar100(os.path.join(a.data, "test.bin"))
    xtr = xtr.astype(np.float32) / 255
    xte = xte.astype(np.float32) / 255
    mean = xtr.mean(axis=(0, 2, 3), dtype=np.float64).astype(np.float32)
    std = xtr.std(axis=(0, 2, 3), dtype=np.float64).astype(np.float32)
    xtr = torch.from_numpy((xtr - mean[:, None, None]) / std[:, None, None])
    xte = torch.from_numpy((xte - mean[:, None, None]) / std[:, None, None])
    ytr, yte = torch.from_numpy(ytr), torch.from_numpy(yte)
    model = TesseraNet(Arch(in_c=3, in_h=32, in_w=32, classes=100))
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum,
                          weight_decay=a.weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    result = {"recipe": vars(a), "torch": torch.__version__, "epochs": []}
    t0 = time.perf_counter()
    for epoch in range(1, a.epochs + 1):
        model.train()
        perm = torch.randperm(len(ytr))
        total = 0.0
        for lo in range(0, len(ytr), a.batch):
            idx = perm[lo:lo + a.batch]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            hits = sum((model(xte[lo:lo + 1000]).argmax(1) == yte[lo:lo + 1000]).sum().item()
                       for lo in range(0, len(yte), 1000))
        acc = hits / len(yte)
        result["epochs"].append({"epoch": epoch, "train_loss": total / len(ytr),
                                 "test_accuracy": acc,
                                 "seconds": time.perf_counter() - t0})
        print(f"epoch {epoch}/{a.epochs} train loss {total / len(ytr):.4f} "
              f"test accuracy {100 * acc:.2f}%", flush=True)
        if a.out:
            write_json_atomic(a.out, result)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("bench")
    b.add_argument("--threads", type=int, default=2)
    b.add_argument("--batch", type=int, default=64)
    b.add_argument("--seconds", type=float, default=3.0)
    b.add_argument("--side", type=int, default=32)
    b.add_argument("--channels", type=int, default=3)
    b.add_argument("--classes", type=int, default=100)
    b.add_argument("--k1", type=int, default=5)
    b.add_argument("--k2", type=int, default=5)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--epochs", type=int, default=30)
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--lr", type=float, default=0.01)
    t.add_argument("--momentum", type=float, default=0.9)
    t.add_argument("--weight-decay", type=float, default=5e-4)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--out")
    a = p.parse_args()
    cmd_bench(a) if a.cmd == "bench" else cmd_train(a)


if __name__ == "__main__":
    main()
