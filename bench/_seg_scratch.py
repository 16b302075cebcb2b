import sys, time
sys.path.insert(0, ".")
import numpy as np
from PIL import Image
from digits.data import load_mnist
from digits.segment import segment
from digits.inference import Classifier
m = load_mnist("../shared/data", "test")
clf = Classifier()
rng = np.random.default_rng(0)
def compose(idx, gap):
    parts = []
    for k, i in enumerate(idx):
        d = m.images[i]
        cols = np.flatnonzero(d.max(0) > 30); d = d[:, cols[0]:cols[-1]+1]
        parts.append(d)
    H = 28; W = sum(p.shape[1] for p in parts) + gap * (len(parts)-1) + 20
    canvas = np.zeros((H + 10, W), np.float32); x = 10
    for p in parts:
        canvas[5:33, x:x+p.shape[1]] = np.maximum(canvas[5:33, x:x+p.shape[1]], p); x += p.shape[1] + gap
    return Image.fromarray((255 - canvas).astype(np.uint8)).resize((W*4, (H+10)*4), Image.BICUBIC)
for gap in (6, 2, 0, -2):
    ok = 0; n = 200; t = 0
    for _ in range(n):
        k = rng.integers(2, 7); idx = rng.integers(0, 10000, k)
        img = compose(idx, gap)
        t0 = time.perf_counter(); segs = segment(img); t += time.perf_counter() - t0
        preds = "".join(str(p.digit) for p in clf.classify(segs)) if segs else ""
        ok += preds == "".join(str(m.labels[i]) for i in idx)
    print(f"gap {gap}: exact {ok/n:.1%}  seg {1000*t/n:.1f} ms")
print("failures at gap 6:")
rng = np.random.default_rng(1); shown = 0
for _ in range(300):
    k = rng.integers(2, 7); idx = rng.integers(0, 10000, k)
    img = compose(idx, 6); segs = segment(img)
    preds = "".join(str(p.digit) for p in clf.classify(segs)) if segs else ""
    truth = "".join(str(m.labels[i]) for i in idx)
    if preds != truth and shown < 12:
        print(truth, preds, len(segs)); shown += 1
        if shown <= 3: img.save(f"/tmp/fail{shown}.png")
