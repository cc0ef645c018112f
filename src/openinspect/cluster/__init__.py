"""Plant scale: judge archives of captures on a Ray cluster (the optional ``cluster`` extra).

The station's own per-capture code does the work, split where a batch job gains from it: Ray Data reads,
decodes, aligns and crops the captures on the workers (:class:`~openinspect.station.pipeline.Stager`), and a
pool of actors, each holding one ONNX Runtime session per model, runs the models over batches of many captures
(:meth:`~openinspect.station.Inspector.judge_staged`). Results come back in input order, each capture exactly
once, even when a worker dies and its batch is retried on the worker that replaces it.

Only the command line imports this package, and only with ``--ray``: the station never imports Ray.
"""

from openinspect.cluster.job import Cluster, JobOptions, connect, judge

__all__ = ["Cluster", "JobOptions", "connect", "judge"]
