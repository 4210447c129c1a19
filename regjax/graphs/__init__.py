"""Joint sparse Gaussian graphical models across contexts (JEEK family, jointggm.org).

`jeek.jeek` estimates K related sparse precision matrices (gene networks) jointly; `jeek.diffee`
the difference network of two contexts; `simulation` makes related sparse networks with samples.
"""
