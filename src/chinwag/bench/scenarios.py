"""The benchmark scenarios: fanout, paced, dm and connect.

Each scenario is a coroutine that takes a :class:`Target` and its own parameters and
returns one flat dict (the JSON line). Every wait is bounded by the scenario deadline;
a run that cannot finish in time still reports what it measured, with ``ok`` false.

This module is the index: the channel scenarios are in :mod:`chinwag.bench.channel`,
``dm`` in :mod:`chinwag.bench.dm`, ``connect`` in :mod:`chinwag.bench.connect`, and
what they share (the target, opening and closing clients) in :mod:`chinwag.bench.clients`.

What this module does not do: decide whether a number is good (no thresholds), or
retry anything (a failure is a result).
"""

from __future__ import annotations

from chinwag.bench.channel import fanout as fanout
from chinwag.bench.channel import paced as paced
from chinwag.bench.clients import Result as Result
from chinwag.bench.clients import Target as Target
from chinwag.bench.connect import connect as connect
from chinwag.bench.dm import dm as dm
