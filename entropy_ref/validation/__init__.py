"""Argument checks, one module per kind of argument, each with one wording for every caller.

==============  ================================================================================
module          checks
==============  ================================================================================
``arrays``      the weights ``W`` (real, finite, non-empty; dtype rules) and ``axes``
``weights``     the per-layer arguments of a penalty: the list of weight matrices and ``lam``
``buffers``     ``out=`` buffers: writeable, right shape and dtype, overlapping no input or output
``layers``      the inputs and ``out=`` buffers of :mod:`entropy_ref.layers` (fast and loop twins)
``adam``        the hyper-parameters, state and buffers of :mod:`entropy_ref.optim`
``fields``      settings fields (numbers, flags, paths, lists of names): checked, never coerced
==============  ================================================================================
"""
