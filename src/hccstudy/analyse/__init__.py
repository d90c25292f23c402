"""Analyses: Kaplan-Meier, log-rank, Cox (and later competing risks, subgroups, response).

Numerics only: nothing here imports plotting or formatting code.
"""
