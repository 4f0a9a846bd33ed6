"""The guided reflection: a LangGraph conversation that walks a person through the report's themes.

``state.py`` says what a session holds, ``graph.py`` how it moves, ``synthesis.py`` how the closing
summary is made, and ``engine.py`` is what the CLI and the app call.
"""
