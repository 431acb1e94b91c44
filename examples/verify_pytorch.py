# Shows how to check your own PyTorch implementation of H_C against entropy_ref (matrices and N-D).
import torch
import torch.nn.functional as F

from entropy_ref.verify import Unsupported, assert_conforms

G_X = torch.tensor([[3.0, 0.0, -3.0], [10.0, 0.0, -10.0], [3.0, 0.0, -3.0]], dtype=torch.float64) / 32


def my_h_c(W, axes):                 # your implementation; W is a NumPy array (float64 or float32)
    if sorted(a % W.ndim for a in axes) != [W.ndim - 2, W.ndim - 1]:
        raise Unsupported("conv2d runs over the last two axes only")       # reported as skipped
    w = torch.tensor(W, requires_grad=True)                                # keeps W's dtype
    kernels = torch.stack([G_X, G_X.T]).to(w.dtype).flip(-1, -2)[:, None]   # conv2d correlates: flip
    g = F.conv2d(w.reshape(-1, 1, *W.shape[-2:]), kernels, padding=1)      # zero padding, same size
    H = 0.5 * torch.log(0.5 * (g * g).sum()) - torch.log(w.abs().sum())   # eq. 3, natural logs
    H.backward()
    return H, w.grad                 # tensors are fine: the kit detaches and converts them


for profile in ("float64", "float32"):   # float32: what training runs in
    print(assert_conforms(my_h_c, profile=profile))   # AssertionError (the report) unless ok
