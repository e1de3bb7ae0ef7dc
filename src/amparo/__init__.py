"""Amparo: prioritised, explainable cases from child-exploitation referrals."""

__version__ = "0.1.0"
