"""SLIM core library: ingest the report and a person's documents, index, retrieve, and (later) reflect.

Nothing in this package imports Streamlit; the UI in ``ui/`` only renders what this library returns.
"""
