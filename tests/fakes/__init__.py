"""Local protocol fakes of the external HTTP services (see tests/fakes/base.py)."""
