"""The desktop client's tkinter views. They stay thin: what they show comes from
:mod:`chinwag.client.model`, and the network runs on the client's own thread."""
