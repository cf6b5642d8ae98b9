#!/usr/bin/env python3
"""Writes Debian's Fashion-MNIST (package dataset-fashion-mnist) as an image folder TransferLab reads:
OUT/train/<class>/*.png (the first TRAIN_PER_CLASS training images of each class) and OUT/val/<class>/*.png (all
10,000 test images: the pool the calibration draws evaluation subsets from). PNGs are written with zlib alone.

Usage: fashion_mnist_pool.py OUT [TRAIN_PER_CLASS=100]
"""
import gzip
import os
import struct
import sys
import zlib

SOURCE = "/usr/share/datasets/fashion-mnist"
CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]


def read_idx(name):
    with gzip.open(os.path.join(SOURCE, name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return shape, data[4 + 4 * dims :]


def png(width, height, gray):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + gray[y * width : (y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def write(out, split, prefix, per_class):
    (count, height, width), pixels = read_idx(f"{prefix}-images-idx3-ubyte.gz")
    _, labels = read_idx(f"{prefix}-labels-idx1-ubyte.gz")
    written = [0] * len(CLASSES)
    for c in CLASSES:
        os.makedirs(os.path.join(out, split, c), exist_ok=True)
    size = height * width
    for i in range(count):
        label = labels[i]
        if per_class is not None and written[label] >= per_class:
            continue
        path = os.path.join(out, split, CLASSES[label], f"{i:05d}.png")
        with open(path, "wb") as f:
            f.write(png(width, height, pixels[i * size : (i + 1) * size]))
        written[label] += 1
    return sum(written)


def main():
    out = sys.argv[1]
    per_class = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    done = os.path.join(out, ".complete")
    if os.path.exists(done):
        return
    train = write(out, "train", "train", per_class)
    val = write(out, "val", "t10k", None)
    open(done, "w").close()
    print(f"{out}: {train} training and {val} pool images", file=sys.stderr)


if __name__ == "__main__":
    main()
