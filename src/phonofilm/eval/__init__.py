"""Objective metrics for generated clips: perception from pixels and sound, metrics, suites and reports.

Metrics read only a clip's frames and sound (plus the target parsed from its prompt, a reference image or
a reference clip); a clip's ground truth is used only by the tests that validate the metrics.
"""
