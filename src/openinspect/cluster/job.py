"""One batch job on Ray: captures in, the station's results out, in input order, each capture exactly once."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from openinspect.errors import ClusterError
from openinspect.station import InspectionResult, Inspector
from openinspect.station.pipeline import InspectorPlan

try:
    import ray
    import ray.data
except ImportError as err:  # the CLI imports this package only with --ray, and says how to install it
    raise ClusterError(f"--ray needs Ray, which is not installed ({err.msg}): pip install 'openinspect[cluster]'"
                       ) from err

NO_DASHBOARD = ("unavailable: Ray's dashboard needs the packages of `pip install 'ray[default]'` on the head node "
                "(the cluster extra installs Ray Data only)")


@dataclass(frozen=True)
class Cluster:
    """The Ray cluster a job runs on."""

    address: str
    """Where it listens (``ray start --address`` joins it)."""
    dashboard: str
    """The dashboard's URL, or why there is none."""
    cpus: int
    """CPUs of all its nodes."""
    started: bool
    """Whether this process started it (a local instance), rather than joining one."""


@dataclass(frozen=True)
class JobOptions:
    """How a job uses the cluster."""

    workers: int | None = None
    """Model actors; ``None``: one per ``threads`` CPUs of the cluster."""
    threads: int = 1
    """ONNX Runtime intra-op threads of each actor's sessions."""
    batch: int = 32
    """Captures per model call (the crops of all of them in one batch)."""

    def actors(self, cluster_cpus: int) -> int:
        """How many model actors run on a cluster of ``cluster_cpus`` CPUs."""
        return self.workers or max(1, cluster_cpus // self.threads)


def connect(address: str | None, cpus: int | None = None) -> Cluster:
    """Join the Ray cluster at ``address``, or with ``None`` start a local Ray instance (``cpus``: its CPUs).

    A process already connected (a test's session, a notebook) keeps its connection.

    Raises:
        ClusterError: the cluster cannot be reached.
    """
    started = address is None and not ray.is_initialized()
    try:
        # log_to_driver off: what a worker prints would land on this process's stdout, amid `--json` lines
        context = ray.init(address=address or None, num_cpus=None if address else cpus, ignore_reinit_error=True,
                           logging_level=logging.WARNING, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise ClusterError(f"cannot reach the Ray cluster at {address}: {err}; start it with `ray start --head` "
                           f"on its head node, or leave out the address to run on this machine; a head started with "
                           f"Ray's token authentication (its default) also needs `RAY_AUTH_MODE=token` here and its "
                           f"token (its ~/.ray/auth_token copied here, or RAY_AUTH_TOKEN)") from err
    url = context.dashboard_url
    resources = ray.cluster_resources()
    return Cluster(ray.get_runtime_context().gcs_address, f"http://{url}" if url else NO_DASHBOARD,
                   int(resources.get("CPU", 0)), started)


def judge(plan: InspectorPlan, paths: Sequence[str], options: JobOptions,
          cluster: Cluster) -> Iterator[InspectionResult]:
    """Judge capture files on the cluster, as :meth:`Inspector.inspect_file` does, yielding results in input order.

    Every worker must see ``paths`` and the plan's model files (shared storage). An unreadable capture yields its
    error result.

    Raises:
        ClusterError: as :func:`run`.
    """
    return run([plan], paths, judge_files, options, cluster)


def judge_files(inspectors: list[Inspector], paths: list[Path]) -> list[InspectionResult]:
    """The station's results for capture files, each type's model run once over the crops of all of them."""
    inspector = inspectors[0]
    return inspector.judge_staged([inspector.stager.stage_file(path) for path in paths])


Work = Callable[[list[Inspector], list[Path]], list[Any]]
"""What a worker does with a batch of capture paths, given an inspector per plan of the job: one picklable answer
per path, in order."""


def run(plans: Sequence[InspectorPlan], paths: Sequence[str], work: Work, options: JobOptions,
        cluster: Cluster) -> Iterator[Any]:
    """Run ``work`` over capture paths on the cluster's workers, yielding its answers in input order.

    Ray Data cuts ``paths`` into batches; a pool of actors, each with its own :class:`Inspector` of each plan (one
    ONNX Runtime session per model, ``options.threads`` threads), runs ``work`` on each batch. A batch whose actor
    dies is retried on the actor that replaces it; should both answers reach this process, the second is dropped,
    so each path is answered once.

    Raises:
        ClusterError: the job failed (not a capture: the cluster), or lost captures.
    """
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False  # the CLI draws one bar for the job
    context.print_on_execution_start = False
    items = [{"index": index, "path": str(path)} for index, path in enumerate(paths)]
    if not items:
        return
    actors = min(options.actors(cluster.cpus), len(items))
    blocks = min(len(items), max(actors, -(-len(items) // options.batch)))  # a batch a block, at least one an actor
    dataset = (ray.data.from_items(items, override_num_blocks=blocks)
               .map_batches(_Worker, fn_constructor_kwargs={"plans": list(plans), "threads": options.threads,
                                                            "work": work},
                            batch_size=options.batch, num_cpus=options.threads,
                            compute=ray.data.ActorPoolStrategy(size=actors)))
    try:
        yield from _in_order(dataset.iter_batches(batch_size=None, batch_format="numpy"), len(items))
    except ray.exceptions.RayError as err:
        raise ClusterError(f"the Ray job failed: {err}") from err


class _Worker:
    """An actor: one ONNX Runtime session per model; runs the job's work on batches of capture paths.

    Staging (decode, align, crop) runs here, in the actor, rather than in Ray Data tasks of its own: tasks beside
    actors that hold every CPU wait for a CPU that never comes free (seen on 2 CPUs), and staging is a small share
    of a capture's work.
    """

    def __init__(self, plans: list[InspectorPlan], threads: int, work: Work) -> None:
        self.inspectors = [Inspector.of(plan, threads) for plan in plans]
        self.work = work

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Each path's answer, pickled, with its input index."""
        answers = self.work(self.inspectors, [Path(path) for path in batch["path"]])
        return {"index": batch["index"], "result": np.array([pickle.dumps(a) for a in answers], dtype=object)}


def _in_order(batches: Any, total: int) -> Iterator[InspectionResult]:
    """Results by input index, each once: a retried batch's answer for captures already out is dropped."""
    waiting: dict[int, bytes] = {}
    following = 0
    for batch in batches:
        for index, blob in zip(batch["index"].tolist(), batch["result"], strict=True):
            if index >= following:
                waiting.setdefault(index, blob)
        while following in waiting:
            yield pickle.loads(waiting.pop(following))
            following += 1
    if following != total:
        raise ClusterError(f"the Ray job ended after {following} of {total} captures; capture {following} "
                           f"({len(waiting)} after it) never came back: run the job again")
