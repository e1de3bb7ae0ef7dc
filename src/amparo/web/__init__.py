"""The web workspace (``amparo serve``): FastAPI, server-rendered pages, least exposure.

``app`` builds the application; ``auth`` signs users in and checks roles; ``security`` holds
the safe-web basics; ``media`` is the only way to media bytes; ``exposure`` and
``preferences`` are the wellness rules; ``pages``, ``explore``, ``audit`` and ``wellness``
are the pages.
"""
