"""Evaluation and reporting: metrics, the keyword baseline, plots, the review page, the model card."""
