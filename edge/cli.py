"""The ``carwatch-edge`` command: the only module that prints."""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edge.domain import ImageRead, PlateRead
from edge.settings.daemon import SettingsError, load_settings
from edge.settings.file_watch import FileWatcher
from edge.settings.vision import VisionSettings
from edge.simulated_conditions import Condition
from edge.vision.errors import ImageError, ModelError
from edge.vision.recognizer import PlateRecognizer
from edge.vision.self_test import BUNDLED_PLATES, SAMPLES, read_known_plates

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
SAMPLE_IMAGE = SAMPLES / "car.jpg"

log = logging.getLogger("edge.cli")


def expand_inputs(paths: Sequence[str]) -> Iterator[str]:
    """Each path as given; a folder becomes its images, sorted."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.suffix.lower() in IMAGE_SUFFIXES and child.is_file():
                    yield str(child)
        else:
            yield given


def plate_json(plate: PlateRead) -> dict[str, Any]:
    return {
        "text": plate.text,
        "confidence": round(plate.confidence, 3),
        "box": plate.box.as_list(),
        "chars": [{"char": c.char, "confidence": round(c.confidence, 3), "box": c.box.as_list()} for c in plate.chars],
        "detector_confidence": round(plate.detector_confidence, 3),
        "region": plate.region,
        "rows": plate.rows,
    }


def _read_one(recognizer: PlateRecognizer, given: str) -> tuple[ImageRead | None, str | None, float]:
    from edge.vision.image import read_image  # noqa: PLC0415 - keeps --help fast

    start = time.perf_counter()
    try:
        result = recognizer.read(read_image(Path(given)))
    except (ImageError, OSError) as exc:
        return None, str(exc) if isinstance(exc, ImageError) else f"cannot read file: {exc.strerror or exc}", 0.0
    return result, None, (time.perf_counter() - start) * 1000


def _human_line(given: str, result: ImageRead | None, error: str | None, ms: float) -> str:
    if result is None:
        return f"{given}: error: {error}"
    if not result.plates:
        return f"{given}: no plate ({ms:.0f} ms)"
    reads = ", ".join(f"{p.text or '?'} ({p.confidence:.2f})" for p in result.plates)
    return f"{given}: {reads} ({ms:.0f} ms)"


def build_recognizer(settings: VisionSettings) -> PlateRecognizer:
    return PlateRecognizer.from_config(settings.recognizer_config())


def command_read(args: argparse.Namespace, settings: VisionSettings) -> int:
    recognizer = build_recognizer(settings)
    inputs = list(expand_inputs(args.paths))
    failures = 0
    for given in inputs:
        result, error, ms = _read_one(recognizer, given)
        failures += result is None
        if args.json:
            line: dict[str, Any] = {"image": given}
            if result is None:
                line["error"] = error
            else:
                line |= {"plates": [plate_json(p) for p in result.plates], "ms": round(ms, 1)}
            print(json.dumps(line), flush=True)
        else:
            print(_human_line(given, result, error, ms), flush=True)
    if not inputs:
        print("error: no images found in the given paths", file=sys.stderr)
        return 2
    return 1 if failures == len(inputs) else 0


def command_demo(args: argparse.Namespace, settings: VisionSettings) -> int:
    """What ``make run`` does until the daemon exists: read the bundled sample image."""
    args.paths = [str(SAMPLE_IMAGE)]
    args.json = False
    return command_read(args, settings)


def command_eval(args: argparse.Namespace, settings: VisionSettings) -> int:
    from edge.evaluation import evaluate_manifest, format_report  # noqa: PLC0415

    try:
        report = evaluate_manifest(build_recognizer(settings), args.manifest, args.iou, args.given_boxes,
                                   Condition(args.condition) if args.condition else None)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(format_report(report))
    return 0


def command_bench(args: argparse.Namespace, settings: VisionSettings) -> int:
    from edge.bench import run_benchmark  # noqa: PLC0415

    report = run_benchmark(settings.recognizer_config(), list(expand_inputs(args.paths)), args.repeat,
                           args.max_images, progress=sys.stderr)
    text = json.dumps(report, indent=1)
    if args.output:
        Path(args.output).write_text(text + "\n")
    print(text)
    return 0


def camera_name_for(source: str, taken: set[str]) -> str:
    """A camera name (letters, digits, - and _) made from a source given on the command line."""
    text = source.rsplit("@", maxsplit=1)[-1]  # never put credentials into a name
    text = re.sub(r"^[a-z]+://", "", text).split("?")[0].strip("/")
    parts = [p for p in re.split(r"[^A-Za-z0-9_-]+", text) if p][-2:]
    base = ("-".join(parts) or "camera")[:48].strip("-_") or "camera"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def _daemon_settings(args: argparse.Namespace) -> Any:
    overrides: dict[str, Any] = {}
    if args.site:
        overrides["site"] = args.site
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    if args.source:
        taken: set[str] = set()
        overrides["cameras"] = [{"name": camera_name_for(s, taken), "source": s, "role": args.role or "both"}
                                for s in args.source]
    return load_settings(args.config, **overrides)


def command_run(args: argparse.Namespace, _: VisionSettings) -> int:
    """The daemon: runs until SIGTERM or SIGINT; SIGHUP (or saving the config file) reloads the configuration."""
    from edge.app import GateDaemon  # noqa: PLC0415
    from edge.events.outbox import OutboxError  # noqa: PLC0415
    from edge.service.logging_setup import configure_logging, logs_directory  # noqa: PLC0415
    from edge.service.systemd import SystemdNotifier  # noqa: PLC0415

    settings = _daemon_settings(args)
    configure_logging(logging.DEBUG if args.verbose else settings.log_level, log_dir=logs_directory())
    notifier = SystemdNotifier.from_environment()  # NOTIFY_SOCKET unset (not under systemd): does nothing
    daemon = GateDaemon(settings)
    stop = threading.Event()
    reload = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: reload.set())
    try:
        daemon.start()  # on failure it has stopped what it started
    except (OSError, ValueError, OutboxError) as exc:  # data dir, outbox file, plate lists folder, a camera gone
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pinger = _watchdog(daemon, notifier)
    notifier.ready(_status_line(daemon))
    pinger.start()
    watcher = FileWatcher(args.config, reload.set, name="config") if args.config else None
    if watcher is not None:  # camera settings reload when the file is saved, as on SIGHUP
        watcher.start()
    ends = time.monotonic() + args.duration if args.duration else None
    try:
        while not stop.wait(0.5):
            if ends is not None and time.monotonic() >= ends:
                break
            if reload.is_set():
                reload.clear()
                _reload(daemon, args, notifier)
    finally:
        pinger.stop()
        notifier.stopping("stopping: delivering queued events")
        notifier.extend_timeout(settings.shutdown_timeout_s + 20)  # cameras stop, then the outbox drains
        if watcher is not None:
            watcher.stop()
        daemon.stop()
        notifier.close()
    return 0


def _reload(daemon: Any, args: argparse.Namespace, notifier: Any) -> None:
    notifier.reloading()
    try:
        daemon.reload(_daemon_settings(args))
        log.warning("configuration reloaded")
    except SettingsError as exc:
        log.error("reload refused, the running configuration stays: %s", exc)
    finally:
        notifier.ready(_status_line(daemon))


def _status_line(daemon: Any) -> str:
    from edge.service.status import status_line  # noqa: PLC0415

    return status_line(daemon.status())


def _watchdog(daemon: Any, notifier: Any) -> Any:
    """WATCHDOG=1 every half WatchdogSec while every camera pipeline turned within that half; STATUS every 5 s."""
    from edge.service.systemd import WatchdogPinger, pipeline_progressing  # noqa: PLC0415

    interval = notifier.watchdog_interval()  # None unless WatchdogSec= is set (and this is the main process)
    max_age_s = (interval or 30.0) / 2

    def progressing() -> bool:
        return pipeline_progressing((p.stats().last_progress for p in daemon.pipelines()), time.monotonic(), max_age_s)

    return WatchdogPinger(notifier, progressing, interval, status_text=lambda: _status_line(daemon))


def command_doctor(args: argparse.Namespace, _: VisionSettings) -> int:
    """Check what the daemon needs (config, models, disk, clock, database, broker, cameras); 1 when one fails."""
    import dataclasses  # noqa: PLC0415
    import functools  # noqa: PLC0415

    from edge.app import GateDaemon  # noqa: PLC0415
    from edge.service import doctor  # noqa: PLC0415
    from edge.sources import read_one_frame  # noqa: PLC0415
    from edge.storage.url import DatabaseUrl  # noqa: PLC0415

    checks = [doctor.check_config(args.config, load_settings)]
    try:
        settings = _daemon_settings(args)
    except SettingsError:  # the config check above names the setting
        print(doctor.format_table(checks))
        return 1
    vision = settings.vision
    models = [vision.models_dir / vision.detector_model, vision.models_dir / vision.reader_model]
    built: list[PlateRecognizer] = []
    checks.append(doctor.check_models(models, load=lambda: built.append(build_recognizer(vision))))
    if built:
        checks.append(doctor.check_known_plates(
            lambda: [(r.plate.text, r.problem) for r in read_known_plates(built[0], BUNDLED_PLATES)]))
    checks.append(doctor.check_disk(settings.data_dir, settings.snapshots.min_free_mb))
    checks.append(doctor.check_clock())
    if settings.history.url is not None:
        url = DatabaseUrl.parse(settings.history.url.get_secret_value())
        if url.dialect == "mysql":
            ssl: dict[str, Any] | None = (dict(url.ssl) or {"check_hostname": True}) if url.ssl_enabled else None
            checks.append(doctor.check_mysql(url.host, url.port, url.user, url.password, url.database,
                                             create_database=settings.history.create_database, ssl_options=ssl))
    if settings.mqtt.enabled:
        checks.append(doctor.check_mqtt(**dataclasses.asdict(settings.mqtt.endpoint())))
    for camera in GateDaemon.camera_settings(settings):
        checks.append(doctor.check_camera(camera.name, functools.partial(read_one_frame, camera)))
    print(doctor.format_table(checks))
    return 1 if doctor.failed(checks) else 0


def command_api(args: argparse.Namespace, _: VisionSettings) -> int:
    """The HTTP API alone (no cameras), on the settings and data directory ``run`` uses; until SIGTERM or SIGINT."""
    from edge.api import ApiDependencies, ApiServer, create_app  # noqa: PLC0415
    from edge.events.lists import PlateListStore  # noqa: PLC0415
    from edge.storage.database import Database  # noqa: PLC0415
    from edge.storage.errors import StorageError  # noqa: PLC0415
    from edge.storage.migrations import migrate  # noqa: PLC0415

    settings = _daemon_settings(args)
    logging.getLogger().setLevel(logging.DEBUG if args.verbose else settings.log_level)
    api = settings.api if args.port is None else settings.api.model_copy(update={"port": args.port})
    recognizer = PlateRecognizer.from_config(settings.vision.recognizer_config())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    lists = PlateListStore(settings.plate_lists.path, debounce_s=settings.plate_lists.reload_debounce_s,
                           max_bytes=settings.plate_lists.max_file_bytes)
    database: Database | None = None
    server: ApiServer | None = None
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        database = Database.from_settings(settings.history, settings.data_dir)
        migrate(database)
        try:
            lists.load()
        except ValueError as exc:
            log.error("plate lists not loaded: %s", exc)
        lists.start()
        app = create_app(ApiDependencies(database=database, settings=api, data_dir=settings.data_dir,
                                         recognize=recognizer.read, plate_lists=lists))
        server = ApiServer(app, api.host, api.port)
        server.start()
        print(f"API on {server.url} (data in {settings.data_dir.resolve()})", file=sys.stderr, flush=True)
        ends = time.monotonic() + args.duration if args.duration else None
        while not stop.wait(0.5):
            if ends is not None and time.monotonic() >= ends:
                break
    except (OSError, StorageError, ValueError) as exc:  # port taken, data dir or lists unusable, database down
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if server is not None:
            server.stop()
        lists.stop()
        if database is not None:
            database.close()
    return 0


def _progress_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _write_report(report: dict[str, Any], output: str | None) -> int:
    """Print the report, then write it to ``output``: a long run's numbers are never lost to a bad path."""
    text = json.dumps(report, indent=1)
    print(text, flush=True)
    if output:
        try:
            Path(output).write_text(text + "\n")
        except OSError as exc:
            print(f"error: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    return 0


def command_bench_daemon(args: argparse.Namespace, _: VisionSettings) -> int:
    """The whole daemon measured: latency to MQTT, camera capacity, two 1080p cameras, idle cost."""
    from edge.daemon_bench import BenchPlan, run_daemon_bench  # noqa: PLC0415

    plan = BenchPlan.quick() if args.quick else BenchPlan()
    return _write_report(run_daemon_bench(plan, progress=_progress_line), args.output)


def command_soak(args: argparse.Namespace, _: VisionSettings) -> int:
    """The daemon with two file-fed cameras for a while: is memory flat, do threads stay put?"""
    from edge.daemon_bench import BenchError, as_dict, machine, soak  # noqa: PLC0415

    if not 0 < args.duration <= 7 * 86400 or not 0 < args.sample <= 3600:
        print("error: --duration must be 0 to 604800 s and --sample 0 to 3600 s", file=sys.stderr)
        return 2
    if args.snapshot_cap_mb is not None and args.snapshot_cap_mb < 1:
        print("error: --snapshot-cap-mb must be at least 1", file=sys.stderr)
        return 2
    before = machine()  # the load average before the soak adds its own
    try:
        result = soak(args.duration, sample_s=args.sample, snapshot_cap_mb=args.snapshot_cap_mb,
                      progress=_progress_line)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = {"machine": before, "soak": as_dict(result)}
    report["machine_after"] = {"load_average": machine()["load_average"]}
    return _write_report(report, args.output)


def build_parser() -> argparse.ArgumentParser:
    """The command line of `carwatch-edge`, every subcommand included."""
    parser = argparse.ArgumentParser(prog="carwatch-edge", description="Licence-plate gate daemon.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    parser.add_argument("--threads", type=int, help="onnxruntime threads per model call (default 1)")
    sub = parser.add_subparsers(dest="command", required=True)
    read = sub.add_parser("read", help="read the plates in images and print them")
    read.add_argument("--json", action="store_true", help="one JSON line per image, nothing else on stdout")
    read.add_argument("paths", nargs="+", help="image files or folders of images")
    sub.add_parser("demo", help="read the bundled sample image")
    ev = sub.add_parser("eval", help="measure detection recall and exact reads against a manifest")
    ev.add_argument("manifest", type=Path, help='JSON lines: {"image": PATH, "plates": [{"text", "box"}]}')
    ev.add_argument("--iou", type=float, default=0.5, help="IoU at which a detection counts as found")
    ev.add_argument("--json", action="store_true", help="print the whole report as JSON")
    ev.add_argument("--given-boxes", action="store_true", help="skip the detector: read the labelled boxes")
    ev.add_argument("--condition", choices=[c.value for c in Condition],
                    help="degrade every image first, as night, rain, fog... would (simulated, see the model card)")
    bench = sub.add_parser("bench", help="measure latency per stage, memory and frames per second")
    bench.add_argument("paths", nargs="+", help="image files or folders of images")
    bench.add_argument("--repeat", type=int, default=3, help="runs over the images per thread setting")
    bench.add_argument("--max-images", type=int, default=40, help="use at most this many images")
    bench.add_argument("--output", help="also write the JSON report to this file")
    bench_daemon = sub.add_parser("bench-daemon", help="measure the whole daemon: latency to MQTT, cameras per box, "
                                  "two 1080p cameras, idle cost (JSON on stdout, progress on stderr)")
    bench_daemon.add_argument("--quick", action="store_true", help="a few seconds per part (a smoke run)")
    bench_daemon.add_argument("--output", help="also write the JSON report to this file")
    soak = sub.add_parser("soak", help="run the daemon with two file-fed cameras and watch its memory and threads")
    soak.add_argument("--duration", type=float, default=3600.0, help="seconds to run (default 3600)")
    soak.add_argument("--sample", type=float, default=10.0, help="seconds between memory samples (default 10)")
    soak.add_argument("--snapshot-cap-mb", type=int,
                      help="retention cap of the snapshots (default: the shipped 2048 MB, which an hour does not "
                           "fill); a small one, e.g. 20, soaks the steady state of a box whose disk is full")
    soak.add_argument("--output", help="also write the JSON report to this file")
    run = sub.add_parser("run", help="run the gate daemon (until SIGTERM; SIGHUP reloads the configuration)")
    run.add_argument("--config", type=Path, help="TOML configuration file (see config/carwatch.example.toml)")
    run.add_argument("--source", action="append", help="watch this camera URL, device or folder (repeatable)")
    run.add_argument("--role", choices=["entry", "exit", "both"], help="role of the --source cameras (default both)")
    run.add_argument("--site", help="site id (default site1)")
    run.add_argument("--data-dir", type=Path, help="history, outbox and snapshots (default ./data)")
    run.add_argument("--duration", type=float, help="stop by itself after this many seconds (trials, tests)")
    doctor = sub.add_parser("doctor", help="check config, models, disk, clock, database, broker and cameras")
    doctor.add_argument("--config", type=Path, help="TOML configuration file (as for run)")
    doctor.add_argument("--source", action="append", help="check this camera URL, device or folder (repeatable)")
    doctor.add_argument("--data-dir", type=Path, help="the data directory to check (default as for run)")
    doctor.set_defaults(site=None, role=None)
    api = sub.add_parser("api", help="serve the HTTP API alone (no cameras), on the data directory run uses")
    api.add_argument("--config", type=Path, help="TOML configuration file (see config/carwatch.example.toml)")
    api.add_argument("--port", type=int, help="TCP port (default api.port: 8080)")
    api.add_argument("--site", help="site id (default site1)")
    api.add_argument("--data-dir", type=Path, help="history, outbox and snapshots (default ./data)")
    api.add_argument("--duration", type=float, help="stop by itself after this many seconds (trials, tests)")
    api.set_defaults(source=None, role=None)
    return parser


COMMANDS = {"read": command_read, "demo": command_demo, "eval": command_eval, "bench": command_bench,
            "bench-daemon": command_bench_daemon, "soak": command_soak,
            "run": command_run, "api": command_api, "doctor": command_doctor}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = VisionSettings(**({"threads": args.threads} if args.threads else {}))
        return COMMANDS[args.command](args, settings)
    except SettingsError as exc:  # already one line naming the setting, secrets hidden
        print(f"error: {exc}", file=sys.stderr)
    except ValidationError as exc:
        first = exc.errors()[0]
        setting = ".".join(str(p) for p in first["loc"])
        print(f"error: invalid setting {setting}: {first['msg']}", file=sys.stderr)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except BrokenPipeError:  # stdout closed early (``| head``): not an error of ours
        sys.stderr.close()
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
