"""The chinwag server core: state, command table, handlers, config. No I/O here."""
