"""The chinwag server core: state, command table, handlers, config. No I/O here.

Floors, lowest first (a module imports only from floors below it; a test checks that the
runtime import graph of this package has no cycle):
``config``, ``webconfig``, ``caps``, ``events`` -> ``state``, ``outgoing``, ``isupport``
-> ``fanout``, ``intake``, ``control``, ``accounts``, ``rooms`` -> ``commands`` (the families and
their one table) and ``core`` (which is handed its dispatcher) -> ``build`` (wires the
two together). ``Server`` is only a type below ``core``.
"""
