"""Adam against ``torch.optim.Adam`` (skipped when torch is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

from entropy_ref.optim import AdamHP, adam_init, adam_step_params

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("hp", [AdamHP(lr=1e-3), AdamHP(lr=0.05, beta1=0.5, beta2=0.9, eps=1e-6)])
def test_matches_torch_adam_over_several_steps(dtype, rtol, hp):
    rng = np.random.default_rng(0)
    params = {"W": [rng.standard_normal((4, 5)).astype(dtype)],
              "b": [rng.standard_normal(4).astype(dtype)]}
    grads_seq = [{k: [rng.standard_normal(a.shape).astype(dtype) for a in v]
                  for k, v in params.items()} for _ in range(8)]

    tparams = [torch.tensor(params["W"][0], requires_grad=True),
               torch.tensor(params["b"][0], requires_grad=True)]
    opt = torch.optim.Adam(tparams, lr=hp.lr, betas=(hp.beta1, hp.beta2), eps=hp.eps)
    state = adam_init(params)
    for grads in grads_seq:
        params, state = adam_step_params(params, grads, state, hp)
        for tp, g in zip(tparams, (grads["W"][0], grads["b"][0])):
            tp.grad = torch.tensor(g)
        opt.step()
        # float32: both compute in float32, differing only in rounding order (rtol 1e-5 of the
        # weights, which move by ~lr per step); float64 agrees to ~1e-15
        np.testing.assert_allclose(params["W"][0], tparams[0].detach().numpy(), rtol=rtol,
                                   atol=rtol * hp.lr)
        np.testing.assert_allclose(params["b"][0], tparams[1].detach().numpy(), rtol=rtol,
                                   atol=rtol * hp.lr)
    tstate = opt.state[tparams[0]]
    np.testing.assert_allclose(state["m"]["W"][0], tstate["exp_avg"].numpy(), rtol=rtol)
    np.testing.assert_allclose(state["v"]["W"][0], tstate["exp_avg_sq"].numpy(), rtol=rtol)
    assert state["t"] == int(tstate["step"]) == 8
