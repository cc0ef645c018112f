"""The ``openinspect`` command line: a thin layer over the workspace, training and the station."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import getpass
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from openinspect.dataset import import_class_folders, import_masks
from openinspect.dataset.split import split_images
from openinspect.errors import DatasetError, ImageError, NotFoundError, OpenInspectError, RecipeError, StorageError
from openinspect.imaging import IMAGE_SUFFIXES, SUPPORTED_TYPES, Rect
from openinspect.recipe import InspectionType, ModelKind, Recipe, SegmenterType, TrainingMode, dump_recipe, load_recipe
from openinspect.settings import Settings, get_settings
from openinspect.store import Deployment, Workspace, unified_diff
from openinspect.store.archive import export_archive
from openinspect.store.audit import AuditAction, AuditFilter, AuditLog
from openinspect.store.db import create_results_engine
from openinspect.store.records import ResultRecord
from openinspect.store.results import ResultStore, Retention

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from openinspect.authoring import ModelService
    from openinspect.cluster import Cluster, Work
    from openinspect.models.progress import Fold, Step
    from openinspect.server.deps import Services
    from openinspect.station import InspectionResult, RoiResult
    from openinspect.station.pipeline import InspectorPlan
    from openinspect.training.backtest import BacktestReport


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        workspace = None if args.run is _advise else Workspace(args.home or get_settings().home)
        return int(args.run(workspace, args) or 0)
    except StorageError as err:  # the command was right, the disk was not: 1, as for a capture not judged
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OpenInspectError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `inspect ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openinspect", description="Offline-first visual inspection station.")
    parser.add_argument("--home", type=Path, help="workspace folder (default: $OPENINSPECT_HOME or ./openinspect-home)")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    recipe = commands.add_parser("recipe", help="add, list, show, export and import recipes").add_subparsers(
        required=True, metavar="ACTION")
    add = recipe.add_parser("add", help="validate a recipe YAML file and add it to the workspace")
    add.add_argument("file", type=Path)
    add.add_argument("--replace", action="store_true", help="replace a stored recipe of the same name")
    add.set_defaults(run=_recipe_add)
    recipe.add_parser("list", help="list the recipes and their models").set_defaults(run=_recipe_list)
    show = recipe.add_parser("show", help="a recipe with its labels and models")
    show.add_argument("name")
    show.set_defaults(run=_recipe_show)
    export = recipe.add_parser("export", help="print a recipe's YAML, or with --archive write it with its labelled "
                                              "images, masks and model versions as one zip")
    export.add_argument("name")
    export.add_argument("--archive", type=Path, metavar="FILE.zip", help="write the recipe archive here")
    export.set_defaults(run=_recipe_export)
    imp = recipe.add_parser("import", help="add a recipe archive's recipe, labelled images, masks and models")
    imp.add_argument("archive", type=Path, metavar="FILE.zip")
    imp.add_argument("--name", help="store the recipe under this name (the archive's name is taken)")
    imp.set_defaults(run=_recipe_import)
    template = recipe.add_parser("template", help="store a capture as the recipe's alignment reference (and the "
                                                  "capture its ROIs are drawn on) with the region to find the part by")
    template.add_argument("name")
    template.add_argument("image", type=Path)
    template.add_argument("--region", required=True, type=_region, metavar="X,Y,W,H",
                          help="the alignment template in px on IMAGE: a distinctive, rigid feature of the part")
    template.add_argument("--max-angle", type=float, metavar="DEG",
                          help="the largest rotation searched, either way (default: the recipe's, else 15)")
    template.set_defaults(run=_recipe_template)
    history = recipe.add_parser("history", help="a recipe's revisions: number, time, who saved it, what changed")
    history.add_argument("name")
    history.set_defaults(run=_recipe_history)
    diff = recipe.add_parser("diff", help="the change between two revisions of a recipe, as a unified diff")
    diff.add_argument("name")
    diff.add_argument("a", type=int, metavar="A", help="from revision")
    diff.add_argument("b", type=int, metavar="B", help="to revision")
    diff.set_defaults(run=_recipe_diff)
    revert = recipe.add_parser("revert", help="make an earlier revision's content the recipe's next revision")
    revert.add_argument("name")
    revert.add_argument("revision", type=int, metavar="REV")
    revert.set_defaults(run=_recipe_revert)

    dataset = commands.add_parser("dataset", help="prepare labelled image folders").add_subparsers(
        required=True, metavar="ACTION")
    split = dataset.add_parser("split", help="copy images of each class at random (fixed seed) into OUT/train/<class>/ "
                               "and OUT/test/<class>/, ready for `label import` and `eval`")
    split.add_argument("out", type=Path, metavar="OUT", help="a new or empty folder")
    split.add_argument("--class", required=True, nargs="+", action="append", dest="classes",
                       metavar=("NAME", "IMAGE_OR_DIR"), help="a class and its images (files, or folders of them); "
                       "repeat per class")
    split.add_argument("--train-per-class", required=True, type=int, metavar="N")
    split.add_argument("--test-per-class", type=int, metavar="N", help="at most N test images per class (default: "
                       "all the others)")
    split.add_argument("--unlabelled", type=int, default=0, metavar="N",
                       help="also copy N of the other images, drawn over every class, into OUT/unlabelled/ without "
                       "their class (captures nobody labelled, for `label add`); the test images are the rest")
    split.add_argument("--seed", type=int, default=0, help="the same seed and files give the same split")
    split.set_defaults(run=_dataset_split)

    label = commands.add_parser("label", help="import labelled captures, or add captures to label later"
                                ).add_subparsers(required=True, metavar="ACTION")
    add = label.add_parser("add", help="add captures to a recipe to label later (the Label page); until labelled, an "
                                       "Accurate classifier learns from them as unlabelled captures")
    add.add_argument("recipe")
    add.add_argument("paths", nargs="+", type=Path, metavar="IMAGE_OR_DIR",
                     help="capture files, folders of them, globs or .txt lists, as `inspect` takes them")
    add.set_defaults(run=_label_add)
    imp = label.add_parser("import", help="import labelled captures: classifier --folders DIR/<class>/*; "
                                          "segmenter --images DIR --masks DIR (same-stem PNG masks)")
    imp.add_argument("recipe")
    imp.add_argument("--type", required=True, dest="type_name")
    _labelled_data_arguments(imp)
    imp.add_argument("--missing-mask-is-background", action="store_true",
                     help="segmenter: a capture without a mask file has no defect")
    imp.set_defaults(run=_label_import)

    train = commands.add_parser("train", help="train a new model version of an inspection type")
    train.add_argument("recipe")
    train.add_argument("--type", required=True, dest="type_name")
    train.add_argument("--mode", choices=[m.value for m in TrainingMode], help="default: the type's mode")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--time-budget", type=float, metavar="SECONDS", help="segmenter: stop training after this long")
    train.add_argument("--deploy", action="store_true", help="deploy the new version at once (else it is a candidate "
                                                             "until `model deploy`; a type's first version deploys "
                                                             "itself)")
    train.add_argument("--no-synthetic", dest="synthetic", action="store_false",
                       help="leave the recipe's synthetic images (Defect Creator) out of this run; with them they "
                            "are trained on and never validated on")
    train.add_argument("--no-unlabelled", dest="unlabelled", action="store_false",
                       help="Accurate: do not learn from unlabelled captures (the recipe's captures without a label "
                            "for the type, and the station's archived results); with them a Fast teacher gives "
                            "them classes and the confident ones join training, never validation")
    train.set_defaults(run=_train)

    model = commands.add_parser("model", help="list a recipe's model versions, deploy one, roll back").add_subparsers(
        required=True, metavar="ACTION")
    listing = model.add_parser("list", help="model versions, newest first: deployed, candidates, validation figures")
    listing.add_argument("recipe")
    listing.add_argument("--type", dest="type_name", help="one inspection type (default: all)")
    listing.set_defaults(run=_model_list)
    deploy = model.add_parser("deploy", help="make a version the one the station runs")
    deploy.add_argument("recipe")
    deploy.add_argument("--type", required=True, dest="type_name")
    deploy.add_argument("--version", required=True, type=int, metavar="N")
    deploy.set_defaults(run=_model_deploy)
    rollback = model.add_parser("rollback", help="deploy again the version in force before the current deployment")
    rollback.add_argument("recipe")
    rollback.add_argument("--type", required=True, dest="type_name")
    rollback.set_defaults(run=_model_rollback)

    backtest = commands.add_parser("backtest", help="re-judge archived captures and labelled images with a candidate "
                                                    "model version and the deployed one: which verdicts would change")
    backtest.add_argument("recipe")
    backtest.add_argument("--type", required=True, dest="type_name")
    backtest.add_argument("--candidate", required=True, type=int, metavar="N")
    backtest.add_argument("--since", type=datetime.fromisoformat, metavar="ISO",
                          help="archived captures at or after this time (default: all)")
    backtest.add_argument("--limit", type=int, metavar="K", help="at most K archived captures, the newest")
    backtest.add_argument("--json", action="store_true", help="the report as one JSON object")
    _ray_arguments(backtest)
    backtest.set_defaults(run=_backtest)

    inspect = commands.add_parser("inspect", help="judge captures (files or folders)")
    inspect.add_argument("recipe")
    inspect.add_argument("paths", nargs="+", type=Path, metavar="IMAGE_OR_DIR",
                         help="capture files, folders of them, globs ('archive/*/2026-*.png') or .txt files that list "
                              "one capture path a line")
    inspect.add_argument("--json", action="store_true", help="one JSON object per line per capture")
    inspect.add_argument("--overlay", type=Path, metavar="DIR",
                         help="write <capture stem>.png with pixel classes painted and ROIs outlined green/red")
    inspect.add_argument("--masks", type=Path, metavar="DIR",
                         help="write the predicted class map of each capture as <capture stem>.png")
    inspect.add_argument("--model-version", type=int, metavar="N",
                         help="judge with this model version instead of the deployed one (try a candidate)")
    inspect.add_argument("--type", dest="type_name", help="the type --model-version is of (needed with several types)")
    inspect.add_argument("--store", action="store_true", help="also keep each result in the results database "
                         "($OPENINSPECT_DATABASE_URL, e.g. PostgreSQL for a plant; else the workspace's SQLite file)")
    _ray_arguments(inspect)
    inspect.set_defaults(run=_inspect)

    evaluate = commands.add_parser("eval", help="evaluate the deployed model on labelled captures it has not seen")
    evaluate.add_argument("recipe")
    evaluate.add_argument("--type", required=True, dest="type_name")
    evaluate.add_argument("--model-version", type=int, metavar="N", help="evaluate this version (default: deployed)")
    _labelled_data_arguments(evaluate)
    evaluate.add_argument("--json", action="store_true")
    _ray_arguments(evaluate)
    evaluate.set_defaults(run=_eval)

    audit = commands.add_parser("audit", help="the audit trail: who changed what, when, before and after")
    audit.add_argument("--since", type=datetime.fromisoformat, metavar="ISO", help="at or after (no zone: UTC)")
    audit.add_argument("--actor", metavar="NAME", help="a token's name, or cli:<user>")
    audit.add_argument("--recipe", metavar="NAME")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    audit.set_defaults(run=_audit)

    demo = commands.add_parser("demo", help="generate demo captures, train Fast and inspect: no data needed")
    demo.set_defaults(run=_demo)

    info = commands.add_parser("info", help="what sets the station's speed: the processor's instruction sets, "
                                            "inference threads, each model's precision and time")
    info.add_argument("recipe", nargs="?", help="load this recipe's deployed models and time them on blank crops")
    info.add_argument("--calls", type=int, default=10, metavar="N", help="model calls timed per type (default 10)")
    info.add_argument("--json", action="store_true", help="the report as one JSON object")
    info.set_defaults(run=_info)

    serve = commands.add_parser("serve", help="run the station: HTTP API and live feed on a local address")
    serve.add_argument("--host", help="address to bind (default: $OPENINSPECT_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (default: $OPENINSPECT_PORT or 8800)")
    serve.add_argument("--recipe", help="the active recipe (default: the first one with trained models)")
    serve.add_argument("--demo", action="store_true",
                       help="set up the demo recipes (Fast training when untrained) and replay their captures")
    serve.set_defaults(run=_serve)

    _synth_parser(commands)
    _advise_parser(commands)
    return parser


def _synth_parser(commands: Any) -> None:
    synth = commands.add_parser("synth", help="Defect Creator: defects drawn into good captures from a plain-English "
                                              "description, with exact masks")
    synth.add_argument("recipe")
    synth.add_argument("description", help='e.g. "three thin dark scratches near the top edge"')
    synth.add_argument("--type", dest="type_name", required=True, help="the inspection type the images are for")
    synth.add_argument("--roi", help="only this ROI (default: every ROI of the type)")
    synth.add_argument("--on", nargs="+", type=Path, metavar="IMAGE_OR_DIR",
                       help="host captures (default: the recipe's captures labelled good for the type)")
    synth.add_argument("--count", type=int, default=8, help="images to make (default 8)")
    synth.add_argument("--seed", type=int, default=0, help="image i uses seed S+i; the same seed, the same images")
    synth.add_argument("--class", dest="class_name", help="classifier: the fail class; segmenter: the pixel class")
    synth.add_argument("--match", action="store_true",
                       help="segmenter types: draw the defects the size, shape, contrast and place of the pixel "
                            "class's real painted examples (the description still names the kind)")
    synth.add_argument("--json", action="store_true", help="print the specification and the images as JSON")
    where = synth.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, metavar="DIR", help="write DIR/images/*.png, same-stem DIR/masks/*.png "
                                                               "and DIR/synth.json")
    where.add_argument("--add", action="store_true", help="add them to the recipe's data set, labelled for the type "
                                                          "and flagged synthetic (trained on, never validated on); "
                                                          "all or nothing")
    synth.set_defaults(run=_synth)


def _synth(workspace: Workspace, args: argparse.Namespace) -> None:
    from openinspect.authoring.synthetic import SyntheticService, SynthRequest, write_batch  # not at start-up

    service = SyntheticService(workspace, audit=_trail(workspace))
    spec = service.parse(args.recipe, args.description)
    if not args.json:
        print("understood:\n" + "\n".join(f"  {line}" for line in spec.describe()), flush=True)
    hosts = tuple(service.external_hosts(args.on)) if args.on else ()
    request = SynthRequest(args.recipe, args.type_name, args.description, (args.roi,) if args.roi else (), hosts,
                           args.count, args.seed, args.class_name, args.match)
    matched = service.matched(request) if args.match else None
    if matched is not None and not args.json:
        print("matching:\n" + "\n".join(f"  {line}" for line in matched.summary()), flush=True)
    if args.add:
        report = service.add(request, actor=_actor())
        images: list[dict[str, object]] = [{"image": sha, "seed": seed}
                                           for sha, seed in zip(report.images, report.seeds, strict=True)]
        label, done = report.label, (f"added {len(images)} synthetic image(s) to {args.recipe}/{args.type_name}, "
                                     f"labelled {report.label} (never validation data)")
    else:
        batch = service.make(request)
        images = write_batch(batch, args.out, args.type_name, args.description) if args.out else [
            {"host": s.host.original_name, "seed": s.seed, "defect_px": int(s.mask.sum())} for s in batch.samples]
        label, done = batch.label, f"made {len(images)} image(s)" + (
            f" in {args.out} (masks in {args.out / 'masks'})" if args.out else
            "; nothing written (give --out DIR) or added to the data set (give --add)")
    if args.json:
        print(json.dumps({"spec": spec.to_dict(), "class": label, "images": images,
                          "matched": matched.to_dict() if matched is not None else None}, indent=1))
        return
    for image in images:
        print("  " + ", ".join(f"{key} {value}" for key, value in image.items()))
    print(done)


def _labelled_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--folders", type=Path, help="classifier: DIR/<class name>/<captures>; anomaly: DIR/good/ "
                                                     "(and DIR/anomalous/ to validate)")
    parser.add_argument("--images", type=Path, help="segmenter: folder of captures")
    parser.add_argument("--masks", type=Path, help="segmenter: folder of same-stem PNG masks (may be --images)")


def _labelled_data(spec: InspectionType, args: argparse.Namespace) -> tuple[Path, ...]:
    """The folders a command got for a type, checked against its kind."""
    if isinstance(spec, SegmenterType):
        if args.images is None or args.masks is None or args.folders is not None:
            raise RecipeError(f"'{spec.name}' is a segmenter: give --images DIR --masks DIR")
        return args.images, args.masks
    if args.folders is None or args.images is not None or args.masks is not None:
        raise RecipeError(f"'{spec.name}' is a {spec.kind.value}: give --folders DIR (one sub-folder per class"
                          f"{': good, and optionally anomalous' if spec.kind == ModelKind.ANOMALY else ''})")
    return (args.folders,)


def _recipe_add(workspace: Workspace, args: argparse.Namespace) -> None:
    """The API's checks (``RecipeService.add``): a taken name, another recipe's PLC number, alignment."""
    from openinspect.authoring import RecipeService  # the runtime: not at start-up

    recipe = load_recipe(args.file)
    state = RecipeService(workspace, audit=_trail(workspace)).add(
        recipe, replace=args.replace and recipe.name in workspace.recipe_names(), actor=_actor())
    for warning in state.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"added recipe '{recipe.name}' revision {state.revision} -> {workspace.recipe_path(recipe.name)}")


def _actor() -> str:
    """Who runs the command, as revisions and the audit trail name them: ``cli:<OS user>``."""
    return f"cli:{getpass.getuser()}"


def _trail(workspace: Workspace) -> AuditLog:
    """The station's audit trail: beside its results (``OPENINSPECT_DATABASE_URL``, else the workspace database)."""
    return AuditLog(_results_engine(workspace))


def _results_engine(workspace: Workspace) -> Engine:
    url = get_settings().database_url
    return create_results_engine(url) if url else workspace.engine


def _audit(workspace: Workspace, args: argparse.Namespace) -> None:
    page = _trail(workspace).query(AuditFilter(args.since, args.actor, args.recipe), limit=100_000)
    for record in reversed(page.items):
        if args.json:
            print(json.dumps({**dataclasses.asdict(record), "time": record.time.isoformat()}))
            continue
        change = f"{record.before or '-'} -> {record.after or '-'}"
        print(f"{record.time:%Y-%m-%d %H:%M:%S}Z\t{record.actor}\t{record.action.value}\t{record.object}\t"
              f"{change}\t{record.detail}")


def _recipe_history(workspace: Workspace, args: argparse.Namespace) -> None:
    for revision in workspace.recipe_revisions(args.name):
        print(f"{revision.number}\t{revision.created_at:%Y-%m-%d %H:%M:%S}Z\t{revision.actor}\t{revision.summary}")


def _recipe_diff(workspace: Workspace, args: argparse.Namespace) -> None:
    diff = unified_diff(workspace.recipe_revision(args.name, args.a), workspace.recipe_revision(args.name, args.b))
    print(diff or f"revisions {args.a} and {args.b} of recipe '{args.name}' are the same", end="" if diff else "\n")


def _recipe_revert(workspace: Workspace, args: argparse.Namespace) -> None:
    from openinspect.authoring import RecipeService  # the runtime: not at start-up

    state = RecipeService(workspace, audit=_trail(workspace)).revert(args.name, args.revision, actor=_actor())
    print(f"recipe '{args.name}' is now revision {state.revision}, with the content of revision {args.revision}")


def _recipe_list(workspace: Workspace, _args: argparse.Namespace) -> None:
    from openinspect.authoring.readiness import recipe_readiness  # the runtime: not at start-up

    for name in workspace.recipe_names():
        recipe = workspace.recipe(name)
        types = ", ".join(f"{t.name} ({t.kind.value}, {_model_state(workspace, name, t.name)})" for t in recipe.types)
        ready = recipe_readiness(workspace, recipe)
        print(f"{name}\t{recipe.profile.value}\t{len(recipe.rois)} ROI(s)\t{types}\t"
              f"{ready.label if ready.ready else 'not ready for production: ' + ready.label}")


def _recipe_show(workspace: Workspace, args: argparse.Namespace) -> None:
    recipe = workspace.recipe(args.name)
    print(dump_recipe(recipe), end="")
    print("# status")
    for spec in recipe.types:
        labels = workspace.labels(recipe.name, spec.name)
        counts = ", ".join(f"{c} {sum(lb.class_name == c for lb in labels)}" for c in spec.class_names())
        print(f"#   {spec.name}: labelled crops: {counts}; model: {_model_state(workspace, recipe.name, spec.name)}")
    for warning in recipe.downscale_warnings():
        print(f"# warning: {warning}")


def _model_state(workspace: Workspace, recipe: str, type_name: str) -> str:
    try:
        model = workspace.deployed_model(recipe, type_name)
    except NotFoundError:
        return "not trained"
    newer = workspace.latest_model(recipe, type_name).version - model.version
    candidates = f", {newer} newer candidate(s): `openinspect model list {recipe}`" if newer > 0 else ""
    return f"v{model.version} {model.mode}{_figure(model.metrics)}{candidates}"


def _mode(mode: str) -> str:
    """A model's training mode as people see it: Fast ones say they are for trying a set-up."""
    from openinspect.authoring.readiness import FAST_NOTE  # the runtime: not at start-up

    return f"{mode}, {FAST_NOTE}" if mode == TrainingMode.FAST.value else mode


def _figure(metrics: dict[str, Any]) -> str:
    accuracy = metrics.get("balanced_accuracy")
    return f", validation balanced accuracy {accuracy:.1%}" if accuracy is not None else ""


def _models(workspace: Workspace) -> ModelService:
    """The API's model service; no station listens in this process."""
    from openinspect.authoring import ModelService, RecipeEvents  # the runtime: not at start-up

    return ModelService(workspace, RecipeEvents(), _trail(workspace))


def _model_list(workspace: Workspace, args: argparse.Namespace) -> None:
    recipe = workspace.recipe(args.recipe)
    names = [recipe.inspection_type(args.type_name).name] if args.type_name else [t.name for t in recipe.types]
    models = _models(workspace)
    for name in names:
        entries = models.versions(recipe.name, name)
        if not entries:
            print(f"{name}\tnot trained")
        for entry in entries:
            model = entry.model
            problem = f"; cannot be deployed: {entry.problem}" if entry.problem else ""
            print(f"{name}\tv{model.version}\t{entry.state.value}\t{_mode(model.mode)}\t"
                  f"{model.created_at:%Y-%m-%d %H:%M}{_figure(model.metrics)}{problem}")


def _model_deploy(workspace: Workspace, args: argparse.Namespace) -> None:
    done = _models(workspace).deploy(args.recipe, args.type_name, args.version, actor=_actor())
    print(f"deployed {done.recipe}/{done.type} v{done.version}" + _before(done))


def _model_rollback(workspace: Workspace, args: argparse.Namespace) -> None:
    done = _models(workspace).rollback(args.recipe, args.type_name, actor=_actor())
    print(f"rolled back {done.recipe}/{done.type} to v{done.version}" + _before(done))


def _backtest(workspace: Workspace, args: argparse.Namespace) -> int:
    # the runtime: not at start-up
    from openinspect.training.backtest import Backtest, Contenders, Judges, contend_files
    from openinspect.training.backtest_jobs import BacktestService, BacktestState

    settings = get_settings()
    judges: Callable[[Contenders], Judges] | None = None
    if args.ray is not None:
        joined = _joined(args, settings)  # here: Ray starts in the main thread, the job judges from its own

        def judges(contenders: Contenders) -> Judges:
            work = functools.partial(contend_files, type_name=contenders.type)
            return lambda paths: _on_ray(list(contenders.plans), paths, args, joined, work)
    results = _result_store(workspace)
    service = BacktestService(workspace, results, lambda job: None, _trail(workspace), settings.max_pixels,
                              judges=judges)
    service.start(Backtest(args.recipe, args.type_name, args.candidate, args.since, args.limit), actor=_actor())
    service.wait()
    job = service.latest(args.recipe, args.type_name)
    if job.state is not BacktestState.DONE or job.report is None:
        print(f"error: backtest failed: {job.error}", file=sys.stderr)
        return 1
    print(json.dumps(dataclasses.asdict(job.report)) if args.json else "\n".join(_backtest_lines(job.report)))
    return 0


def _backtest_lines(report: BacktestReport) -> Iterator[str]:
    yield (f"backtest {report.recipe}/{report.type}: candidate v{report.candidate} against deployed "
           f"v{report.deployed} on {report.captures} archived capture(s) and {report.images} labelled image(s)")
    for title, changes in (("pass -> fail", report.pass_to_fail), ("fail -> pass", report.fail_to_pass)):
        yield f"{title}: {len(changes)}"
        yield from (f"  {c.source.value} {c.capture} ({', '.join(c.reasons)})" for c in changes)
    yield from (f"  {r.reason}: {r.pass_to_fail} pass -> fail, {r.fail_to_pass} fail -> pass" for r in report.reasons)
    agreement = report.agreement
    if agreement.rois:
        yield (f"agreement with labels on {agreement.rois} ROI(s): deployed {agreement.deployed:.1%}, "
               f"candidate {agreement.candidate:.1%}")
    yield from (f"skipped: {reason}" for reason in report.skipped)


def _before(deployment: Deployment) -> str:
    back = "" if deployment.previous is None else f"; `model rollback` goes back to v{deployment.previous}"
    return f" (a running station loads it when the recipe next changes or it restarts){back}"


def _recipe_export(workspace: Workspace, args: argparse.Namespace) -> None:
    if args.archive is None:
        print(dump_recipe(workspace.recipe(args.name)), end="")
        return
    print(f"exported {export_archive(workspace, args.name, args.archive)} -> {args.archive}")


def _recipe_import(workspace: Workspace, args: argparse.Namespace) -> None:
    from openinspect.authoring import RecipeService  # the runtime: not at start-up

    summary = RecipeService(workspace, audit=_trail(workspace)).import_archive(
        args.archive, args.name, max_bytes=get_settings().max_archive_bytes, actor=_actor())
    print(f"imported {summary} from {args.archive} ({summary.new_images} image(s) new to this workspace)")


def _region(text: str) -> Rect:
    """``X,Y,W,H`` from the command line as a rectangle."""
    try:
        x, y, w, h = (int(value) for value in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected X,Y,W,H in whole pixels, e.g. 290,190,260,240; got {text!r}"
                                         ) from None
    return Rect(x, y, w, h)


def _recipe_template(workspace: Workspace, args: argparse.Namespace) -> None:
    from openinspect.authoring import TemplateService  # the runtime: not at start-up

    try:
        data = args.image.read_bytes()
    except OSError as err:
        raise ImageError(f"cannot read {args.image}: {err.strerror}") from err
    templates = TemplateService(workspace, audit=_trail(workspace))
    alignment = templates.set_alignment(args.name, data, str(args.image), args.region, args.max_angle, actor=_actor())
    region = alignment.template
    print(f"recipe '{args.name}' aligns on x {region.x}, y {region.y}, {region.w}x{region.h} of {alignment.reference} "
          f"(max angle {alignment.max_angle:g}°, min score {alignment.min_score:g}); draw its ROIs on this capture")


def _dataset_split(_workspace: Workspace, args: argparse.Namespace) -> None:
    sources: dict[str, list[Path]] = {}
    for name, *paths in args.classes:
        if not paths:
            raise DatasetError(f"--class {name} names no images; give its files or folders after the name")
        sources.setdefault(name, []).extend(map(Path, paths))
    report = split_images(sources, args.out, args.train_per_class, seed=args.seed, test_per_class=args.test_per_class,
                          unlabelled=args.unlabelled)
    for part, counts in (("train", report.train), ("test", report.test)):
        print(f"{args.out / part}: " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    if report.unlabelled:
        print(f"{args.out / 'unlabelled'}: {report.unlabelled} without their class")


def _label_add(workspace: Workspace, args: argparse.Namespace) -> None:
    from openinspect.authoring.captures import CaptureService

    captures = CaptureService(workspace)
    workspace.recipe(args.recipe)
    files = list(_captures(args.paths))
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise DatasetError(f"not a file: {', '.join(missing[:3])}{' …' if len(missing) > 3 else ''}; "
                           f"name capture files or folders of them (nothing was added)")
    if not files:
        raise DatasetError(f"no captures in {', '.join(map(str, args.paths))}; name image files or folders of "
                           f"them (nothing was added)")
    known = set(captures.ids(args.recipe))
    stored = captures.add(args.recipe, [(path.name, path.read_bytes()) for path in files])
    new = len({image.sha256 for image in stored} - known)
    print(f"recipe '{args.recipe}': {new} capture(s) added, {len(files) - new} already there, "
          f"{len(captures.ids(args.recipe))} in all; label them on the Label page (until then an Accurate "
          f"classifier learns from them as unlabelled captures)")


def _label_import(workspace: Workspace, args: argparse.Namespace) -> None:
    recipe = workspace.recipe(args.recipe)
    spec = recipe.inspection_type(args.type_name)
    folders = _labelled_data(spec, args)
    if isinstance(spec, SegmenterType):
        masks = import_masks(workspace, recipe, spec, *folders, missing_is_background=args.missing_mask_is_background)
        summary = (f"imported new captures: {masks.added} ({masks.with_defects} of all imported with labelled "
                   f"pixels); already in the library: {masks.already_present}")
    else:
        report = import_class_folders(workspace, recipe, spec.name, *folders)
        added = ", ".join(f"{name} {n}" for name, n in report.added.items())
        summary = f"imported new captures: {added}; already in the library: {report.already_present}"
    _trail(workspace).record(_actor(), AuditAction.LABELS_SET, f"type {spec.name}", recipe=recipe.name,
                             detail=f"label import: {summary}")
    print(summary)


def _train(workspace: Workspace, args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from openinspect.training import train_type
    from openinspect.training.jobs import record_deployed, record_training

    recipe = workspace.recipe(args.recipe)
    recipe.inspection_type(args.type_name)
    mode = TrainingMode(args.mode) if args.mode else None
    trail = _trail(workspace)
    record_training(trail, workspace, _actor(), AuditAction.TRAINING_START, recipe.name, args.type_name, mode)
    with tqdm(total=100, unit="%", disable=not sys.stderr.isatty(), file=sys.stderr,
              bar_format="{l_bar}{bar}| {elapsed}<{remaining} {postfix}") as bar:
        def progress(fraction: float, message: str, *, step: Step | None = None, fold: Fold | None = None) -> None:
            bar.update(round(100 * min(fraction, 1.0)) - bar.n)
            parts = [fold.label() if fold and fold.folds else "", message,
                     f"step {step.step}/{step.steps} (epoch {step.epoch:.1f}) loss {step.loss:.3f}" if step else ""]
            bar.set_postfix_str(" · ".join(part for part in parts if part), refresh=False)

        model = train_type(workspace, recipe, args.type_name, mode=mode, seed=args.seed, progress=progress,
                           time_budget_s=args.time_budget, deploy=args.deploy, synthetic=args.synthetic,
                           unlabelled=args.unlabelled,
                           archive=_result_store(workspace))
    deployed = record_deployed(trail, workspace, _actor(), model)
    meta = model.meta()
    state = "deployed" if deployed else f"a candidate: deploy with `openinspect model deploy {recipe.name} --type " \
                                        f"{args.type_name} --version {model.version}`"
    print(f"trained {recipe.name}/{args.type_name} v{model.version} ({_mode(model.mode)}) in {meta.train_seconds} s "
          f"on {meta.train_crops} crops{_synthetic_count(meta.synthetic_images)}, input {meta.input_size[1]}x"
          f"{meta.input_size[0]}; {state}")
    if meta.kind == ModelKind.CLASSIFIER and model.mode == TrainingMode.ACCURATE:
        print(_unlabelled_summary(meta.unlabelled_images, meta.pseudo_labelled))
    validation = meta.validation
    if validation["method"] == "none":
        print(f"validation: not possible: {validation['reason']}")
    else:
        print(f"validation ({validation['method']}):")
        print(_format(model.metrics, meta.classes, meta.kind))
    for warning in meta.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _unlabelled_summary(captures: list[str] | None, pseudo_labelled: int) -> str:
    """What an Accurate run learnt from unlabelled captures, for its summary.

    >>> _unlabelled_summary(["a" * 64] * 3, 5)
    'unlabelled captures used: 3 (5 crop(s) trained on with the class a Fast teacher was confident of)'
    """
    if captures is None:
        return "unlabelled captures used: none (--no-unlabelled)"
    if not captures:
        return ("unlabelled captures used: 0 (none found: the recipe's captures without a label for this type and "
                "the station's archived results are used when there are some)")
    return (f"unlabelled captures used: {len(captures)} ({pseudo_labelled} crop(s) trained on with the class a Fast "
            f"teacher was confident of)")


def _synthetic_count(images: int) -> str:
    """How many synthetic images a run trained on, for its summary line (nothing when none)."""
    return f" (of them from {images} synthetic image(s), never validated on)" if images else ""


def _format(metrics: dict[str, Any], class_names: list[str], kind: str) -> str:
    from openinspect.training import format_anomaly_metrics, format_metrics, format_segmentation_metrics

    if kind == ModelKind.SEGMENTER:
        return format_segmentation_metrics(metrics)
    if kind == ModelKind.ANOMALY:
        return format_anomaly_metrics(metrics, class_names)
    return format_metrics(metrics, class_names)


def _inspect(workspace: Workspace, args: argparse.Namespace) -> int:
    from openinspect.station import Inspector
    from openinspect.station.pipeline import InspectorPlan
    from openinspect.station.sources import TriggerSource

    settings = get_settings()
    plan = InspectorPlan.load(workspace, args.recipe, settings.max_pixels, _tried(workspace, args))
    results: Iterator[InspectionResult]
    if args.ray is None:
        inspector = Inspector.of(plan, settings.threads)
        results = (inspector.inspect_file(path) for path in _captures(args.paths))
    else:
        results = _on_ray([plan], list(_captures(args.paths)), args, _joined(args, settings))
    # a batch job archives no capture: they lie where they are
    store = _result_store(workspace, Retention(keep_pass_every=0)) if args.store else None
    failed_to_judge = False
    for result in results:
        failed_to_judge |= result.error is not None
        print(json.dumps(result.to_json()) if args.json else _human(result), flush=True)
        if store is not None:
            store.add(ResultRecord(str(uuid.uuid4()), datetime.now(UTC), plan.recipe.name, TriggerSource.BATCH.value,
                                   result.to_json()))
        if result.error is None and (args.overlay or args.masks):
            _write_pictures(Path(result.image), result, plan.recipe, args.overlay, args.masks)
    return 1 if failed_to_judge else 0


def _result_store(workspace: Workspace, retention: Retention | None = None) -> ResultStore:
    """The station's results (its database, where the settings name one) and their archive in the workspace."""
    return ResultStore(_results_engine(workspace), workspace.home / "results", retention or Retention())


def _ray_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                        help="run on Ray (`pip install 'openinspect[cluster]'`): join the cluster at ADDRESS (or "
                             "$OPENINSPECT_RAY_ADDRESS), else start a local Ray instance on this machine")
    parser.add_argument("--workers", type=int, metavar="N", help="with --ray: model workers (default: one per CPU)")
    parser.add_argument("--batch", type=int, default=32, metavar="N", help="with --ray: captures per model call")


def _joined(args: argparse.Namespace, settings: Settings) -> Cluster:
    """The Ray cluster of ``--ray [ADDRESS]`` (only here and in :func:`_on_ray` is Ray imported); says it on stderr."""
    from openinspect.cluster import JobOptions, connect  # Ray: only with --ray, never at start-up

    joined = connect(args.ray or settings.ray_address)
    workers = JobOptions(args.workers, settings.threads or 1).actors(joined.cpus)
    print(f"ray: {'started a local instance' if joined.started else 'joined'} {joined.address} ({joined.cpus} CPUs, "
          f"{workers} model worker(s)); dashboard: {joined.dashboard}", file=sys.stderr)
    return joined


def _on_ray(plans: list[InspectorPlan], paths: list[Path], args: argparse.Namespace, joined: Cluster,
            work: Work | None = None) -> Iterator[Any]:
    """Run ``work`` on ``paths`` on the cluster, with a progress bar on stderr; answers in input order.

    ``work``: what each worker does with a batch of paths, given an inspector per plan (default: the station's
    judgement, ``inspect``).
    """
    from tqdm import tqdm

    from openinspect.cluster import JobOptions, judge_files, run

    options = JobOptions(args.workers, get_settings().threads or 1, args.batch)
    with tqdm(total=len(paths), unit="capture", file=sys.stderr, disable=not sys.stderr.isatty(),
              bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} {rate_fmt}, {remaining} left") as bar:
        for answer in run(plans, [str(p) for p in paths], work or judge_files, options, joined):
            bar.update()
            yield answer
def _info(workspace: Workspace, args: argparse.Namespace) -> None:
    from openinspect.station import Inspector
    from openinspect.station.speed import speed_report, warm_up

    if args.calls < 1:
        raise OpenInspectError(f"--calls must be at least 1, got {args.calls}")
    settings = get_settings()
    inspectors = []
    if args.recipe is not None:
        inspectors.append(Inspector.load(workspace, args.recipe, settings.threads, settings.max_pixels))
        warm_up(inspectors[0], args.calls)
    report = speed_report(settings.threads, inspectors)
    if args.json:
        print(json.dumps(report.to_json()))
        return
    sets = ", ".join(f"{name} {'yes' if found else 'no'}" for name, found in report.instruction_sets.items())
    print(f"processor: {report.cpus} CPU(s); {sets}")
    print(f"int8: {'yes' if report.fast_int8 else 'no'} (a fast int8 dot product: AVX-512 VNNI, AVX-VNNI or AMX; "
          "segmenters whose int8 copy scored within 0.02 of fp32 at training, and anomaly models trained here with an "
          "int8 encoder, run in int8)")
    threads = report.threads
    print(f"ONNX Runtime {report.onnxruntime}: {threads['intra_op_threads']} intra-op thread(s) per model "
          f"({'$OPENINSPECT_THREADS' if settings.threads else 'default: one per core; set $OPENINSPECT_THREADS'}), "
          f"{threads['inter_op_threads']} inter-op, {threads['execution_mode']} execution, graph optimisation "
          f"{threads['graph_optimization']}, spinning {'on' if threads['spinning'] else 'off'}")
    if not report.models:
        print("models: give a recipe to load and time its models (openinspect info RECIPE)")
        return
    print(f"models of '{args.recipe}', median of {args.calls} calls on blank crops (one call per type: all its ROIs):")
    print(f"  {'type':<16} {'kind':<10} {'version':>7}  {'precision':<9} {'input':>9}  {'ROIs':>4}  {'model ms':>8}")
    for m in report.models:
        size = f"{m.input_size[1]}x{m.input_size[0]}"
        print(f"  {m.type:<16} {m.kind:<10} {'v' + str(m.version):>7}  {m.precision:<9} {size:>9}  {m.rois:>4}  "
              f"{m.model_ms or 0.0:>8.1f}")


def _tried(workspace: Workspace, args: argparse.Namespace) -> dict[str, int]:
    """The model version ``inspect --model-version N [--type T]`` runs instead of the deployed one, by type."""
    if args.model_version is None:
        if args.type_name is not None:
            raise RecipeError("--type names the type of --model-version: give --model-version N too")
        return {}
    if args.type_name is not None:
        return {args.type_name: args.model_version}
    types = [t.name for t in workspace.recipe(args.recipe).types]
    if len(types) > 1:
        raise RecipeError(f"recipe '{args.recipe}' has types {', '.join(types)}: name the one --model-version is of "
                          f"with --type")
    return {types[0]: args.model_version}


def _write_pictures(path: Path, result: InspectionResult, recipe: Recipe, overlays: Path | None,
                    masks: Path | None) -> None:
    from openinspect.imaging import read_image
    from openinspect.station.overlay import capture_mask, draw_overlay
    from openinspect.store.files import write_png

    image = read_image(path)
    if overlays is not None:
        write_png(overlays / f"{path.stem}.png", draw_overlay(image, result, recipe))
    if masks is not None:
        write_png(masks / f"{path.stem}.png", capture_mask(image.shape[:2], result, recipe))


def _captures(paths: list[Path]) -> Iterator[Path]:
    """The files named, those a glob or a ``.txt`` list names, and in folders the files of a supported type.

    Files found in folders that are not captures by name are said on stderr.
    """
    for path in paths:
        if path.suffix.lower() == ".txt" and path.is_file():
            yield from (Path(line.strip()) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
        elif not path.exists() and any(char in str(path) for char in "*?["):
            yield from sorted(Path(path.anchor or ".").glob(str(path.relative_to(path.anchor or "."))))
        elif not path.is_dir():
            yield path
        else:
            yield from _folder(path)


def _folder(path: Path) -> Iterator[Path]:
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    others = [p for p in files if p.suffix.lower() not in IMAGE_SUFFIXES]
    if others:
        print(f"note: {path}: {len(others)} file(s) not judged, not a {SUPPORTED_TYPES} capture by name: "
              f"{', '.join(p.name for p in others[:5])}{' ...' if len(others) > 5 else ''}", file=sys.stderr)
    yield from (p for p in files if p.suffix.lower() in IMAGE_SUFFIXES)


def _human(result: InspectionResult) -> str:
    if result.error is not None:
        return f"ERROR {result.image}: {result.error}"
    rois = "  ".join(_human_roi(r) for r in result.rois)
    return f"{'PASS' if result.passes else 'FAIL'}  {result.image}  {rois}  ({result.timing_ms['total']:.1f} ms)"


def _human_roi(roi: RoiResult) -> str:
    from openinspect.station import AnomalyRoiResult, ClassifierRoiResult, SegmenterRoiResult

    if isinstance(roi, ClassifierRoiResult):
        return f"{roi.roi}: {roi.class_name} {roi.confidence:.0%}"
    if isinstance(roi, AnomalyRoiResult):
        return f"{roi.roi}: score {roi.score:.3f} (threshold {roi.threshold:.3f}) {'pass' if roi.passes else 'fail'}"
    if isinstance(roi, SegmenterRoiResult) and roi.failed_rules:
        return f"{roi.roi}: fails {', '.join(roi.failed_rules)}"
    return f"{roi.roi}: pass"


def _eval(workspace: Workspace, args: argparse.Namespace) -> None:
    from openinspect.station import Inspector
    from openinspect.station.pipeline import InspectorPlan
    from openinspect.training.evaluate import (
        Judges,
        evaluate_anomaly,
        evaluate_folders,
        evaluate_masks,
        judge_captures,
    )

    settings = get_settings()
    versions = {} if args.model_version is None else {args.type_name: args.model_version}
    plan = InspectorPlan.load(workspace, args.recipe, settings.max_pixels, versions)
    inspector = Inspector.of(plan, settings.threads)
    spec = inspector.recipe.inspection_type(args.type_name)
    folders = _labelled_data(spec, args)
    judges: Judges | None = None
    if args.ray is not None:
        joined = _joined(args, settings)

        def judges(type_name: str, paths: list[Path]) -> Iterator[Any]:
            return _on_ray([plan], paths, args, joined, functools.partial(judge_captures, type_name=type_name))
    if isinstance(spec, SegmenterType):
        metrics = evaluate_masks(inspector, spec.name, folders[0], folders[1], judges=judges)
    elif spec.kind == ModelKind.ANOMALY:
        metrics = evaluate_anomaly(inspector, spec.name, folders[0], judges=judges)
    else:
        metrics = evaluate_folders(inspector, spec.name, folders[0], judges=judges)
    if args.json:
        print(json.dumps(metrics))
    else:
        _print_evaluation(metrics, spec, folders)
    for warning in metrics["warnings"]:  # stderr, so `--json` stays one object on stdout
        print(f"warning: {warning}", file=sys.stderr)


def _print_evaluation(metrics: dict[str, Any], spec: InspectionType, folders: tuple[Path, ...]) -> None:
    print(f"model v{metrics['model_version']} on {', '.join(map(str, folders))}:")
    print(_format(metrics, spec.class_names(), spec.kind))
    for problem in metrics["skipped"]:
        print(f"skipped: {problem}")
    for problem in metrics["alignment_failed"]:
        print(f"alignment failure: {problem}")


def _demo(workspace: Workspace, _args: argparse.Namespace) -> None:
    from openinspect.demo.run import run_demo

    run_demo(workspace)


def _banner(settings: Settings, services: Services) -> list[str]:
    """What ``serve`` prints: the addresses, a sign-in link with a just-made engineer token, the station's state.

    The link carries the token in the address's fragment (``#token=``), which browsers never send to a
    server; the web UI keeps it and removes it from the address bar. A generated token is shown only at the
    start that makes it: the workspace keeps nothing but its hash.
    """
    from openinspect.server import API_PREFIX

    base = f"http://{settings.host}:{settings.port}"
    tokens = services.tokens
    lines = [f"OpenInspect station: {base}  (API {base}{API_PREFIX}, docs {base}/docs?token=<token>)"]
    if tokens.generated is not None:
        lines.append(f"sign in as engineer: {base}/#token={quote(tokens.generated, safe='')}")
    source = services.setup.view().setup.capture.spec or "uploads only"
    lines.append(f"active recipe: {services.station.active_recipe or 'none (PUT /api/v1/active-recipe)'}; "
                 f"capture source: {source} (Station page to change)")
    if tokens.generated is not None:
        lines.append(f"engineer token (shown only now; {tokens.token_file} keeps its hash alone): {tokens.generated}")
    elif tokens.token_file is not None:
        lines.append(f"engineer token: made at first start and not stored (only its hash is); lost it? delete "
                     f"{tokens.token_file} and restart to make a new one")
    lines.append(f"try: curl -H 'Authorization: Bearer <token>' -X POST {base}{API_PREFIX}/trigger")
    return lines


def _serve(workspace: Workspace, args: argparse.Namespace) -> None:
    import uvicorn

    from openinspect.server import create_app

    settings = get_settings()
    update: dict[str, Any] = {"home": workspace.home}
    update.update({k: v for k in ("host", "port", "recipe") if (v := getattr(args, k)) is not None})
    demos: list[str] = []
    if args.demo:
        from openinspect.demo.run import ensure_demo, replay_folder

        demos = ensure_demo(workspace, train=1)
        update["recipe"] = update.get("recipe") or demos[0]
    settings = settings.model_copy(update=update)
    app = create_app(settings)
    services = app.state.services
    if demos:
        services.setup.default_folder(replay_folder(workspace, settings.recipe or demos[0]), actor="demo")
    for name in demos[1:]:
        for spec in workspace.recipe(name).types:
            if _model_state(workspace, name, spec.name) == "not trained":
                print(f"[{name}] training '{spec.name}' (Fast) in the background: GET /api/v1/training")
                services.training.start(name, spec.name, TrainingMode.FAST)
    print("\n".join(_banner(settings, services)), flush=True)
    # The event loop and the inspection worker hand each trigger over; with Python's default 5 ms GIL switch
    # interval a hand-over can wait that long for a busy thread. 0.5 ms cut trigger latency by ~3 ms (bench/).
    sys.setswitchinterval(0.0005)
    # SIGTERM: connections get 5 s to finish, then the station's own bounded close (Station.close) runs
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", ws="websockets-sansio",
                timeout_graceful_shutdown=5)


def _advise_parser(commands: argparse._SubParsersAction) -> None:
    advise = commands.add_parser("advise", help="which inspection type, ROI size and how many images, from a "
                                                "described application (offline)")
    advise.add_argument("description", help='e.g. "check that both screws are present on the bracket"')
    advise.add_argument("--image", type=Path, help="a capture, for its size (the ROI must lie inside it)")
    advise.add_argument("--roi", type=_numbers, help="X,Y,W,H on the capture, or the ROI's size W,H")
    size = advise.add_mutually_exclusive_group()
    size.add_argument("--defect-size", type=float, metavar="PX", help="the smallest defect to catch, in px")
    size.add_argument("--defect-size-mm", type=float, metavar="MM", help="the same in mm (needs --mm-per-px)")
    advise.add_argument("--mm-per-px", type=float, metavar="F", help="the pixel size on the part, in mm")
    advise.add_argument("--json", action="store_true", help="the advice as one JSON object")
    advise.set_defaults(run=_advise)


def _numbers(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers X,Y,W,H (or W,H), got {text!r}") from None


def _advise(_workspace: None, args: argparse.Namespace) -> None:
    """No workspace: advice reads nothing and writes nothing."""
    from openinspect.advice import Sizes, advise  # only when advice is asked for
    from openinspect.imaging import read_image

    image = read_image(args.image).shape[1::-1] if args.image else None
    sizes = Sizes(image=image, roi=args.roi, defect_px=args.defect_size, defect_mm=args.defect_size_mm,
                  mm_per_px=args.mm_per_px)
    advice = advise(args.description, sizes).to_json()
    print(json.dumps(advice, indent=2) if args.json else "\n".join(_advice_lines(advice)))


def _advice_lines(advice: dict[str, Any]) -> list[str]:
    lines = [f"recommendation: {advice['recommendation']} (profile {advice['profile']}, "
             f"confidence {advice['confidence']:.2f})", "why:", *(f"  - {r}" for r in advice["reasons"])]
    lines.append("starting types:")
    for spec in advice["types"]:
        labels = spec.get("classes") or spec.get("pixel_classes") or []
        rules = ", ".join(f"{r['class']} {r['measure']} {r['op']} {r['value']:g}" for r in spec.get("rules", []))
        lines.append(f"  - {spec['name']} ({spec['kind']}): {', '.join(c['name'] for c in labels) or 'good parts only'}"
                     + (f"; rule: {rules}" if rules else ""))
        lines.append(f"    label: {advice['images_to_label'][spec['name']]['what']}")
    if advice["ask"]:
        lines += ["questions that would decide it:", *(f"  - {q}" for q in advice["ask"])]
    resolution = advice["resolution"]
    if resolution:
        lines.append(f"resolution: ROI {resolution['roi'][0]}x{resolution['roi'][1]} px, downscale "
                     f"{resolution['downscale']:g}x, smallest visible defect {resolution['smallest_visible_px']:g} px")
        lines += [f"  - {r}" for r in resolution["recommendations"]]
    return lines
