"""Fits the 2PL with girth (marginal maximum likelihood) on the responses psychometrics-bench
wrote, and reports the time and parameter recovery the same way, for a comparison in the
same run. Usage: girth_2pl.py DATA_FILE ITEMS EXAMINEES"""
import sys
import time

import numpy as np
from girth import twopl_mml

path, items, examinees = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# One byte per answer, examinee by examinee; girth wants items x examinees.
responses = np.fromfile(path, dtype=np.uint8).reshape(examinees, items).T.astype(int)
truth = np.loadtxt(path + ".truth.csv", delimiter=",")
start = time.perf_counter()
fit = twopl_mml(responses)
elapsed = time.perf_counter() - start
rmse_a = np.sqrt(np.mean((fit["Discrimination"] - truth[:, 0]) ** 2))
rmse_b = np.sqrt(np.mean((fit["Difficulty"] - truth[:, 1]) ** 2))
print(f"girth 2PL calibration, {items} items x {examinees} examinees: {elapsed:.3f} s, RMSE a {rmse_a:.4f}, RMSE b {rmse_b:.4f}")
