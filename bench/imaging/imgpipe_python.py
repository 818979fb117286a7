#!/usr/bin/python3
"""The peer of imgpipe: the same OpenCV stages in Python, one image per task
of a multiprocessing.Pool, the way a Python user would write the batch.

  imgpipe_python.py INPUT_DIR OUT_DIR [--workers 2] [--long-side 1024]

Stages as imgpipe's default: decode (JPEGs at 1/2, 1/4 or 1/8 scale when the
resize allows, as imgpipe's reduced_decode=1 does), resize to fit the long
side (INTER_AREA, never enlarging), Gaussian blur 5x5 sigma 1.5, grayscale,
Canny 50/150, PNG. Outputs are named as imgpipe names them (the input's stem
+ .png; the whole name + .png when two inputs share a stem). Needs Debian's
python3-opencv (run with /usr/bin/python3).
"""
import argparse
import os
import sys
from multiprocessing import Pool

import cv2
import numpy

EXTS = {".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp", ".bmp"}
REDUCED = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
           (2, cv2.IMREAD_REDUCED_COLOR_2))


def fit(w, h, long_side):
    if max(w, h) <= long_side:
        return w, h
    s = long_side / max(w, h)
    return max(1, int(w * s + 0.5)), max(1, int(h * s + 0.5))


def jpeg_size(data):
    """(width, height) from a JPEG's SOF marker, or None."""
    p = 2
    while p + 4 <= len(data):
        if data[p] != 0xFF:
            return None
        m = data[p + 1]
        if m == 0xFF:
            p += 1
            continue
        if m == 0x01 or 0xD0 <= m <= 0xD7:
            p += 2
            continue
        n = (data[p + 2] << 8) | data[p + 3]
        if 0xC0 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC) and p + 9 <= len(data):
            return (data[p + 7] << 8) | data[p + 8], (data[p + 5] << 8) | data[p + 6]
        if m == 0xDA:
            return None
        p += 2 + n
    return None


def work(task):
    src, dst, long_side = task
    with open(src, "rb") as f:
        data = f.read()
    flags = cv2.IMREAD_COLOR
    size = jpeg_size(data) if data[:2] == b"\xff\xd8" else None
    if size:
        tw, th = fit(size[0], size[1], long_side)
        for f, flag in REDUCED:
            if (size[0] + f - 1) // f >= tw and (size[1] + f - 1) // f >= th:
                flags = flag
                break
    img = cv2.imdecode(numpy.frombuffer(data, numpy.uint8), flags)
    if img is None:
        return src + ": not a readable image"
    w, h = size if size else (img.shape[1], img.shape[0])
    target = fit(w, h, long_side)
    if target != (img.shape[1], img.shape[0]):
        img = cv2.resize(img, target, interpolation=cv2.INTER_AREA)
    img = cv2.GaussianBlur(img, (5, 5), 1.5)
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    img = cv2.Canny(img, 50, 150)
    ok, png = cv2.imencode(".png", img)
    if not ok:
        return src + ": the encoder refused the result"
    with open(dst, "wb") as f:
        f.write(png.tobytes())
    return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--long-side", type=int, default=1024)
    a = ap.parse_args()
    cv2.setNumThreads(0)
    names = sorted(n for n in os.listdir(a.input_dir)
                   if os.path.splitext(n)[1].lower() in EXTS
                   and os.path.isfile(os.path.join(a.input_dir, n)))
    stems = {}
    for n in names:
        stems[os.path.splitext(n)[0]] = stems.get(os.path.splitext(n)[0], 0) + 1
    os.makedirs(a.out_dir, exist_ok=True)
    tasks = []
    for n in names:
        stem = os.path.splitext(n)[0]
        out = (n if stems[stem] > 1 else stem) + ".png"
        tasks.append((os.path.join(a.input_dir, n), os.path.join(a.out_dir, out),
                      a.long_side))
    with Pool(a.workers, initializer=cv2.setNumThreads, initargs=(0,)) as pool:
        errors = [e for e in pool.imap_unordered(work, tasks, chunksize=1) if e]
    for e in errors:
        print("imgpipe_python:", e, file=sys.stderr)
    print(f"{len(tasks) - len(errors)} images, {len(errors)} skipped")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
