"""DeepLIFT's rules applied to a traced function, primitive by primitive.

`paired_eval(jaxpr, consts, args)` evaluates a jaxpr on *pairs* (input, reference) of every value
that depends on the explained input, and plain values for everything else (parameters). Each
primitive of the program is put in one class, so that nothing is ever silently treated as linear:

* linear (add, dot_general with one paired operand, convolutions, reshapes, slices, gathers with
  constant indices, sums, ...): applied to the input and to the reference separately; the
  gradient is the ordinary one.
* elementwise non-linear functions (ReLU's max(z, c), sigmoid, tanh, exp, log1p, ...): the
  Rescale rule, multiplier m = (f(z) - f(z_ref)) / (z - z_ref), with the slope at the midpoint
  f'((z + z_ref) / 2) where the difference is below 1e-6 (Shrikumar et al. 2017).
* maxima over windows or axes (max pooling, a global max): the change of each output is routed
  to the position that holds the input's maximum when the output grew and to the reference's
  maximum when it fell, then divided by that position's change (the rule of DeepSHAP and
  tangermeme; exact: the routed shares sum to the output's change).
* products of two paired values (LSTM gates: sigmoid(f) * c, sigmoid(o) * tanh(c); attention
  weights times states; any bilinear primitive: mul, dot_general, conv): the Shapley split of a
  product, d(ab) = da * (b + b_ref)/2 + db * (a + a_ref)/2, the average of the two orders in which
  the factors can change. It holds exactly (summation to delta), treats both factors alike, and
  reduces to the linear rule when one factor does not change. Quotients a / b likewise:
  da * (1/b + 1/b_ref)/2 - db * (a + a_ref)/2 / (b b_ref).
* control flow (jit, custom_jvp/custom_vjp functions, remat, scan over time): evaluated inside
  with the same rules (a scan carries pairs through its loop); `stop_gradient` is the identity
  (its value still changes between input and reference).
Anything else that receives a paired value (a comparison, a sort, a loop whose condition depends
on the input) raises `UnsupportedPrimitive` naming it. Every rule satisfies summation to delta
exactly, so the multipliers of the whole program do too (up to float rounding): the sum of
(x - x_ref) * gradient equals f(x) - f(x_ref), which `regjax.interpret.deeplift` checks each run.

Only the input side carries gradients: every rule's backward pass gives the reference no
cotangent (references are constants of the explanation).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
from jax.extend import core

_EPS = 1e-6


class UnsupportedPrimitive(ValueError):
  """A primitive that DeepLIFT has no rule for received a value that depends on the input."""


@dataclasses.dataclass
class Pair:
  """A value of the program on the input (`x`) and on the reference (`r`)."""
  x: Any
  r: Any


jax.tree_util.register_pytree_node(Pair, lambda p: ((p.x, p.r), None), lambda _, c: Pair(*c))

_LINEAR = {
    "add", "add_any", "sub", "neg", "reshape", "broadcast_in_dim", "transpose", "squeeze",
    "expand_dims", "concatenate", "pad", "slice", "reduce_sum", "cumsum", "rev",
    "convert_element_type", "copy", "copy_p", "reduce_precision", "split", "real", "imag",
    "select_n", "dynamic_slice", "dynamic_update_slice", "gather", "scatter-add", "scatter_add",
    "scatter", "optimization_barrier",
}
# Operand positions of linear primitives that must not depend on the input (indices, predicates).
_CONSTANT_OPERANDS = {"select_n": lambda i: i == 0, "dynamic_slice": lambda i: i >= 1,
                      "dynamic_update_slice": lambda i: i >= 2, "gather": lambda i: i == 1,
                      "scatter-add": lambda i: i == 1, "scatter_add": lambda i: i == 1,
                      "scatter": lambda i: i == 1}
_BILINEAR = {"mul", "dot_general", "conv_general_dilated"}
_ELEMENTWISE = {
    "exp", "exp2", "log", "log1p", "expm1", "tanh", "logistic", "sqrt", "rsqrt", "cbrt",
    "integer_pow", "pow", "abs", "erf", "erfc", "sin", "cos", "atan", "sinh", "cosh", "asinh",
    "sign", "floor", "ceil", "round", "square", "max", "min", "clamp",
}
_MAXIMA = {"reduce_max", "reduce_min", "reduce_window_max", "reduce_window_min", "cummax",
           "cummin"}
_CALLS = {"jit": "jaxpr", "pjit": "jaxpr", "closed_call": "call_jaxpr", "core_call": "call_jaxpr",
          "custom_jvp_call": "call_jaxpr", "custom_vjp_call": "call_jaxpr",
          "custom_vjp_call_jaxpr": "fun_jaxpr", "remat2": "jaxpr", "checkpoint": "jaxpr"}
_IDENTITY = {"stop_gradient"}


def _fit(grad, like):
  """`grad` summed over the axes that `like` broadcasts along (lax allows size-1 axes to
  broadcast in elementwise primitives)."""
  if grad.shape == like.shape:
    return grad
  axes = tuple(i for i, (g, s) in enumerate(zip(grad.shape, like.shape)) if s == 1 and g != 1)
  return jnp.sum(grad, axis=axes, keepdims=True).reshape(like.shape)


def _bind(eqn, args):
  out = eqn.primitive.bind(*args, **eqn.params)
  return list(out) if eqn.primitive.multiple_results else [out]


def _side(values, side: str):
  return [getattr(v, side) if isinstance(v, Pair) else v for v in values]


def _unsupported(eqn, why: str):
  raise UnsupportedPrimitive(f"DeepLIFT has no rule for `{eqn.primitive.name}` {why}; the model "
                             "cannot be explained with DeepLIFT (use integrated gradients)")


def _rescale(f, pair: Pair, others=()) -> Pair:
  """Rescale rule for an elementwise function f(z, *others) of a paired z."""

  @jax.custom_vjp
  def op(zx, zr, *rest):
    return f(zx, *rest), f(zr, *rest)

  def fwd(zx, zr, *rest):
    yx, yr = f(zx, *rest), f(zr, *rest)
    return (yx, yr), (zx, zr, yx, yr, rest)

  def bwd(res, cotangents):
    zx, zr, yx, yr, rest = res
    gx = cotangents[0]
    dz = zx - zr
    small = jnp.abs(dz) < _EPS
    mid = (zx + zr) / 2
    slope = jax.jvp(lambda z: f(z, *rest), (mid,), (jnp.ones_like(mid),))[1]
    m = jnp.where(small, slope, (yx - yr) / jnp.where(small, 1, dz))
    return (_fit(gx * m, zx), jnp.zeros_like(zr), *[jnp.zeros_like(v) for v in rest])

  op.defvjp(fwd, bwd)
  return Pair(*op(pair.x, pair.r, *others))


def _elementwise(eqn, values, paired):
  name = eqn.primitive.name
  if sum(paired) == 1 or (name == "pow" and paired == [True, False]):
    position = paired.index(True)
    others = [v for i, v in enumerate(values) if i != position]

    def f(z, *rest):
      args = list(rest)
      args.insert(position, z)
      return _bind(eqn, args)[0]
    return [_rescale(f, values[position], others)]
  if name in ("max", "min"):  # both paired: max(a, b) = a + relu(b - a), min(a, b) = a - relu(a - b)
    a, b = values
    sign = 1 if name == "max" else -1
    diff = Pair(sign * (b.x - a.x), sign * (b.r - a.r))
    relu = _rescale(lambda z: jnp.maximum(z, 0), diff)
    return [Pair(a.x + sign * relu.x, a.r + sign * relu.r)]
  _unsupported(eqn, "with more than one operand that depends on the input")


def _maxima(eqn, values, paired):
  if paired != [True] + [False] * (len(values) - 1):
    _unsupported(eqn, "over values that depend on the input in more than one operand")
  rest = values[1:]

  def f(z):
    return _bind(eqn, [z, *rest])[0]

  @jax.custom_vjp
  def op(zx, zr):
    return f(zx), f(zr)

  def fwd(zx, zr):
    yx, yr = f(zx), f(zr)
    return (yx, yr), (zx, zr, yx, yr)

  def bwd(res, cotangents):
    zx, zr, yx, yr = res
    gx = cotangents[0]
    cross = jnp.maximum(yx, yr) if "max" in eqn.primitive.name else jnp.minimum(yx, yr)
    routed = _route(eqn, f, zx, yx, gx * (cross - yr)) + _route(eqn, f, zr, yr, gx * (yx - cross))
    dz = zx - zr
    still = dz == 0
    return (jnp.where(still, _route(eqn, f, zx, yx, gx), routed / jnp.where(still, 1, dz)),
            jnp.zeros_like(zr))

  op.defvjp(fwd, bwd)
  return [Pair(*op(values[0].x, values[0].r))]


def _route(eqn, f, z, y, g):
  """The gradient of f = a maximum at z, applied to g: g lands on the winning position. Pools
  whose windows tile one axis (stride = window, no padding: every max pool of regjax) use an
  equality mask, the first maximum of a tie winning, as `regjax.models.layers.max_pool_1d` does:
  XLA's select-and-scatter, the generic gradient, is slow on CPU."""
  params = eqn.params
  if eqn.primitive.name in ("reduce_window_max", "reduce_window_min"):
    dims, strides = params["window_dimensions"], params["window_strides"]
    pooled = [i for i, d in enumerate(dims) if d > 1]
    if (len(pooled) == 1 and tuple(dims) == tuple(strides)
        and all(p == (0, 0) for p in params["padding"])
        and all(d == 1 for d in (*params["base_dilation"], *params["window_dilation"]))):
      axis, width = pooled[0], dims[pooled[0]]
      count = y.shape[axis]
      used = jax.lax.slice_in_dim(z, 0, count * width, axis=axis)
      shape = used.shape[:axis] + (count, width) + used.shape[axis + 1:]
      hit = used.reshape(shape) == jnp.expand_dims(y, axis + 1)
      first = hit & (jnp.cumsum(hit, axis=axis + 1) == 1)
      routed = (first * jnp.expand_dims(g, axis + 1)).reshape(used.shape)
      pad = [(0, 0)] * z.ndim
      pad[axis] = (0, z.shape[axis] - count * width)
      return jnp.pad(routed, pad)
  return jax.vjp(f, z)[1](g)[0]


def _bilinear(eqn, values, paired):
  if sum(paired) == 1:
    return _linear(eqn, values, paired)
  if len(values) != 2:
    _unsupported(eqn, "with more than two operands")

  def f(a, b):
    return _bind(eqn, [a, b])[0]

  @jax.custom_vjp
  def op(ax, ar, bx, br):
    return f(ax, bx), f(ar, br)

  def fwd(ax, ar, bx, br):
    return op(ax, ar, bx, br), (ax, ar, bx, br)

  def bwd(res, cotangents):
    ax, ar, bx, br = res
    gx = cotangents[0]
    a_mean, b_mean = (ax + ar) / 2, (bx + br) / 2
    grad_a = jax.vjp(lambda a: f(a, b_mean), ax)[1](gx)[0]
    grad_b = jax.vjp(lambda b: f(a_mean, b), bx)[1](gx)[0]
    return grad_a, jnp.zeros_like(ar), grad_b, jnp.zeros_like(br)

  op.defvjp(fwd, bwd)
  a, b = values
  return [Pair(*op(a.x, a.r, b.x, b.r))]


def _quotient(eqn, values, paired):
  if paired == [True, False]:
    return _linear(eqn, values, paired)
  a, b = values
  a = a if isinstance(a, Pair) else Pair(a, a)

  @jax.custom_vjp
  def op(ax, ar, bx, br):
    return ax / bx, ar / br

  def fwd(ax, ar, bx, br):
    return op(ax, ar, bx, br), (ax, ar, bx, br)

  def bwd(res, cotangents):
    ax, ar, bx, br = res
    gx = cotangents[0]
    grad_a = _fit(gx * (1 / bx + 1 / br) / 2, ax)
    grad_b = _fit(-gx * (ax + ar) / 2 / (bx * br), bx)
    return grad_a, jnp.zeros_like(ar), grad_b, jnp.zeros_like(br)

  op.defvjp(fwd, bwd)
  return [Pair(*op(a.x, a.r, b.x, b.r))]


def _linear(eqn, values, paired):
  constant = _CONSTANT_OPERANDS.get(eqn.primitive.name)
  if constant and any(p and constant(i) for i, p in enumerate(paired)):
    _unsupported(eqn, "with an index or predicate that depends on the input")
  return [Pair(x, r) for x, r in zip(_bind(eqn, _side(values, "x")), _bind(eqn, _side(values, "r")))]


def _call(eqn, values):
  closed = eqn.params[_CALLS[eqn.primitive.name]]
  if isinstance(closed, core.ClosedJaxpr):
    return paired_eval(closed.jaxpr, closed.consts, values)
  return paired_eval(closed, [], values)


def _scan(eqn, values, paired):
  params = eqn.params
  body: core.ClosedJaxpr = params["jaxpr"]
  num_consts, num_carry = params["num_consts"], params["num_carry"]
  consts = values[:num_consts]
  carry_paired, ys_paired = _scan_taint(params, paired)
  xs_paired = paired[num_consts + num_carry:]

  def as_tuple(v, is_paired):
    """What lax.scan carries: (x, r) for a paired value (a constant one is paired with itself)."""
    if not is_paired:
      return v
    return (v.x, v.r) if isinstance(v, Pair) else (v, v)

  def step(carry, xs):
    ins = [*consts, *[Pair(*c) if p else c for c, p in zip(carry, carry_paired)],
           *[Pair(*x) if p else x for x, p in zip(xs, xs_paired)]]
    outs = paired_eval(body.jaxpr, body.consts, ins)
    return ([as_tuple(o, p) for o, p in zip(outs[:num_carry], carry_paired)],
            [as_tuple(o, p) for o, p in zip(outs[num_carry:], ys_paired)])

  init = [as_tuple(v, p) for v, p in zip(values[num_consts:num_consts + num_carry], carry_paired)]
  xs = [as_tuple(v, p) for v, p in zip(values[num_consts + num_carry:], xs_paired)]
  carry, ys = jax.lax.scan(step, init, xs, length=params["length"], reverse=params["reverse"],
                           unroll=params["unroll"])
  return ([Pair(*c) if p else c for c, p in zip(carry, carry_paired)] +
          [Pair(*y) if p else y for y, p in zip(ys, ys_paired)])


def _scan_taint(params, paired: list[bool]) -> tuple[list[bool], list[bool]]:
  """(carries, outputs per step) of a scan that depend on the input: a carry does if it starts
  so or the loop body makes it so (iterated until nothing changes)."""
  num_consts, num_carry = params["num_consts"], params["num_carry"]
  carry = paired[num_consts:num_consts + num_carry]
  while True:
    out = taint(params["jaxpr"].jaxpr, paired[:num_consts] + carry + paired[num_consts + num_carry:])
    grown = [a or b for a, b in zip(carry, out[:num_carry])]
    if grown == carry:
      return carry, out[num_carry:]
    carry = grown


def taint(jaxpr: core.Jaxpr, paired: list[bool]) -> list[bool]:
  """Which outputs of `jaxpr` depend on the inputs flagged in `paired`."""
  env = {v: p for v, p in zip(jaxpr.invars, paired)}
  for v in jaxpr.constvars:
    env[v] = False

  def read(v):
    return False if isinstance(v, core.Literal) else env[v]

  for eqn in jaxpr.eqns:
    ins = [read(v) for v in eqn.invars]
    name = eqn.primitive.name
    if not any(ins):
      outs = [False] * len(eqn.outvars)
    elif name in _CALLS:
      closed = eqn.params[_CALLS[name]]
      outs = taint(closed.jaxpr if isinstance(closed, core.ClosedJaxpr) else closed, ins)
    elif name == "scan":
      carry, ys = _scan_taint(eqn.params, ins)
      outs = carry + ys
    else:
      outs = [True] * len(eqn.outvars)
    for v, p in zip(eqn.outvars, outs):
      env[v] = p
  return [read(v) for v in jaxpr.outvars]


_RULES = (({"scan"}, _scan), (_LINEAR, _linear), (_BILINEAR, _bilinear), ({"div"}, _quotient),
          (_MAXIMA, _maxima), (_ELEMENTWISE, _elementwise))


def paired_eval(jaxpr: core.Jaxpr, consts, args) -> list:
  """Evaluates `jaxpr` on `args` (each a `Pair` or a plain value) with DeepLIFT's rules."""
  env = dict(zip(jaxpr.constvars, consts))
  env.update(zip(jaxpr.invars, args))

  def read(v):
    return v.val if isinstance(v, core.Literal) else env[v]

  for eqn in jaxpr.eqns:
    values = [read(v) for v in eqn.invars]
    paired = [isinstance(v, Pair) for v in values]
    name = eqn.primitive.name
    if not any(paired):
      outs = _bind(eqn, values)
    elif name in _IDENTITY:
      outs = values
    elif name in _CALLS:
      outs = _call(eqn, values)
    else:
      rule = next((rule for names, rule in _RULES if name in names), None)
      if rule is None:
        _unsupported(eqn, "on a value that depends on the input")
      outs = rule(eqn, values, paired)
    for v, out in zip(eqn.outvars, outs):
      env[v] = out
  return [read(v) for v in jaxpr.outvars]
