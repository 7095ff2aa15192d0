"""The chinwag server core: state, command table, handlers, config. No I/O here.

Floors, lowest first (a module imports only from floors below it):
``config``, ``caps``, ``events`` -> ``state``, ``outgoing``, ``isupport`` -> ``fanout``,
``control`` -> ``commands`` (the families and their one table) and ``core`` (which is
handed its dispatcher) -> ``build`` (wires the two together).
"""
