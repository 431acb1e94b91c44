# Shows how to check your own PyTorch implementation of H_C against entropy_ref's golden vectors.
import sys

import torch
import torch.nn.functional as F

from entropy_ref.verify import check

G_X = torch.tensor([[3.0, 0.0, -3.0], [10.0, 0.0, -10.0], [3.0, 0.0, -3.0]], dtype=torch.float64) / 32


def my_h_c(W):                       # your implementation; W is a NumPy matrix (float64 or float32)
    w = torch.tensor(W, requires_grad=True)
    kernels = torch.stack([G_X, G_X.T]).to(w.dtype).flip(-1, -2)[:, None]   # conv2d correlates: flip
    g = F.conv2d(w[None, None], kernels, padding=1)                          # zero padding, same size
    H = 0.5 * torch.log(0.5 * (g * g).sum()) - torch.log(w.abs().sum())     # eq. 3, natural logs
    H.backward()
    return H.item(), w.grad.numpy()


report = check(my_h_c)               # N-D cases are skipped: my_h_c takes no `axes` argument
print(report)
sys.exit(0 if report.ok else 1)
