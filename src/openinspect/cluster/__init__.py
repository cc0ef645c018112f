"""Plant scale: judge archives of captures on a Ray cluster (the optional ``cluster`` extra).

The station's own per-capture code does the work: Ray Data cuts the list of captures into batches for a pool of
actors, each holding one ONNX Runtime session per model, which stage each capture on the worker (decode, align,
crop: :class:`~openinspect.station.pipeline.Stager`) and run each model once over the crops of the whole batch
(:meth:`~openinspect.station.Inspector.judge_staged`). :func:`run` runs other per-capture work the same way
(``eval --ray``: the evaluation's own per-capture judging). Results come back in input order, each capture exactly
once, even when a worker dies and its batch is retried on the worker that replaces it.

Only the command line imports this package, and only with ``--ray``: the station never imports Ray.
"""

from openinspect.cluster.job import Cluster, JobOptions, Work, connect, judge, judge_files, run

__all__ = ["Cluster", "JobOptions", "Work", "connect", "judge", "judge_files", "run"]
