"""Tests of the synthetic seed cohorts (hccstudy.synthetic)."""
