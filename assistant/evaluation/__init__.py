"""Measurement tooling: retrieval and answer quality, speed, load, injection and browser timing.

It lives beside the product, not in it: nothing else in ``assistant`` imports this package (an import
contract in ``make test`` checks that), and the CLI reaches it lazily for ``slim bench`` / ``slim eval``.
"""
