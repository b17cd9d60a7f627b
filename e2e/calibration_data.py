"""Writes simulated exam responses for a course's item bank in the long format that
`cairn calibrate` reads (docs/calibration.md), with one item planted to work differently
for a second language group. Usage: calibration_data.py COURSE_DIR OUT.csv"""
import glob
import math
import random
import sys

import yaml

course_dir, out_path = sys.argv[1], sys.argv[2]
items = []
for path in sorted(glob.glob(f"{course_dir}/items/*.yaml")):
    # Six items from each file (each skill area has its own file): a bank that covers the blueprint.
    for item in yaml.safe_load(open(path, encoding="utf-8"))["items"][:6]:
        top = sum(c.get("points", 1) for c in item["rubric"]) if item["type"] in ("short_text", "prompt_writing") else 1
        items.append((item["id"], top))
rng = random.Random(5)
parameters = [(rng.uniform(0.7, 2.0), rng.gauss(0, 1)) for _ in items]
planted = items[3][0]
with open(out_path, "w", encoding="utf-8") as out:
    out.write("examinee,item,score,language\n")
    for examinee in range(2000):
        theta = rng.gauss(0, 1)
        language = "en" if examinee % 3 else "cy"
        for (item_id, top), (a, b) in zip(items, parameters):
            if rng.random() < 0.3:
                continue  # not every examinee sees every item, as in adaptive exams
            if item_id == planted and language == "cy":
                b += 0.9
            if top == 1:
                score = 1 if rng.random() < 1 / (1 + math.exp(-a * (theta - b))) else 0
            else:
                score = sum(1 for k in range(1, top + 1)
                            if rng.random() < 1 / (1 + math.exp(-a * (theta - (b + (k - (top + 1) / 2) * 0.8)))))
            out.write(f"p-{examinee:04d},{item_id},{score},{language}\n")
print(planted)
