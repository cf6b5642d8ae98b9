"""Writes a two-class image folder of N photos made from the hymenoptera images, for measuring how TransferLab's
cost grows with the number of images (bench/data-scale.sh). Each photo is a random crop (30-100 % of the area,
aspect 3:4 to 4:3) of a random source image of its class, resized to a random shorter side of 256-640 pixels (or MIN_SIDE-MAX_SIDE),
randomly mirrored and re-encoded as JPEG at quality 80-95, so no two are the same file. 80 % go to train/, 20 % to
val/. Usage: python3 make_scaled_dataset.py SOURCE_DIR TARGET_DIR N [SEED] [MIN_SIDE MAX_SIDE]"""
import random
import sys
from pathlib import Path

from PIL import Image, ImageOps

source, target, count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 0)
min_side, max_side = (int(sys.argv[5]), int(sys.argv[6])) if len(sys.argv) > 6 else (256, 640)
classes = sorted(d.name for d in (source / "train").iterdir() if d.is_dir())
images = {c: sorted((source / "train" / c).glob("*.jpg")) + sorted((source / "val" / c).glob("*.jpg")) for c in classes}

for i in range(count):
    label = classes[i % len(classes)]
    split = "val" if i % 5 == 4 else "train"
    with Image.open(rng.choice(images[label])) as photo:
        photo = photo.convert("RGB")
        w, h = photo.size
        area = rng.uniform(0.3, 1.0) * w * h
        aspect = rng.uniform(3 / 4, 4 / 3)
        cw, ch = min(w, int((area * aspect) ** 0.5)), min(h, int((area / aspect) ** 0.5))
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        crop = photo.crop((x, y, x + cw, y + ch))
        shorter = rng.randint(min_side, max_side)
        scale = shorter / min(cw, ch)
        crop = crop.resize((max(1, round(cw * scale)), max(1, round(ch * scale))), Image.BILINEAR)
        if rng.random() < 0.5:
            crop = ImageOps.mirror(crop)
        folder = target / split / label
        folder.mkdir(parents=True, exist_ok=True)
        crop.save(folder / f"{label}-{i:06d}.jpg", quality=rng.randint(80, 95))
print(f"{count} images in {target}")
