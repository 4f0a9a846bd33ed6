"""The guided reflection: a LangGraph conversation that walks a person through the report's themes.

``state.py`` says what a session holds, ``nodes.py`` what each step does (and which documents it
searches), ``graph.py`` how the steps are wired and routed, ``synthesis.py`` how the closing summary is
made, and ``engine.py`` is what the CLI and the app call.
"""
