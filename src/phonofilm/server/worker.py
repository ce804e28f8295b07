"""Workers: separate processes that build their generator once and run jobs from the shared store.

Loop: claim a job (lease + token) → build its `GenerationRequest` → generate while a heartbeat
thread renews the lease, records progress and notices deletion → write mp4, thumbnail, spritesheet →
complete (conditional on the lease, so exactly once). A housekeeping thread delivers webhooks and
deletes expired outputs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import numpy as np
from sqlalchemy import select, update

from phonofilm.media import decode_image, read_mp4, spritesheet, thumbnail, write_mp4
from phonofilm.pipeline.request import Cameo, GenerationRequest, Generator, UnsupportedRequest
from phonofilm.server import jobs, webhooks
from phonofilm.server.settings import Settings
from phonofilm.server.storage import LocalStorage
from phonofilm.server.store import Character, Store, Video
from phonofilm.world.clip import Clip

log = logging.getLogger("phonofilm.worker")
SOURCE_SAMPLE_RATE = 48_000  # silence for uploaded sources without sound
THUMBNAIL_WIDTH = 480


def build_generator(spec: str) -> Generator:
    """The generator a worker runs: "default", "checkpoint:PATH" or "oracle[:fps=24,max_side=256,...]"."""
    kind, _, argument = spec.partition(":")
    if kind == "default" and not argument:
        from phonofilm.pipeline.generate import default_checkpoint

        kind, argument = "checkpoint", str(default_checkpoint())
    if kind == "oracle":
        from phonofilm.pipeline.oracle import WorldOracle

        types = {"fps": float, "max_side": int, "sample_rate": int, "channels": int}
        options: dict[str, object] = {}
        for item in filter(None, argument.split(",")):
            key, _, value = item.partition("=")
            if key not in types:
                raise ValueError(f"unknown oracle option {key!r} in {spec!r}; options: {sorted(types)}")
            options[key] = types[key](value)
        return WorldOracle(**options)  # type: ignore[arg-type]
    if kind == "checkpoint" and argument:
        try:
            from phonofilm.pipeline.generate import load_generator  # type: ignore[import-not-found]
        except ImportError as err:
            raise RuntimeError(
                f"generator {spec!r} needs phonofilm.pipeline.generate.load_generator (the learned "
                f"pipeline), which this installation does not have yet: {err}"
            ) from err
        return load_generator(argument)
    raise ValueError(f"unknown generator {spec!r}; use 'default', 'checkpoint:PATH' or 'oracle[:key=value,...]'")


class JobCancelled(Exception):
    """The job was deleted, or its lease passed to another worker, while we were generating."""


class _Lease:
    """Heartbeats for one claim in a background thread; `progress` is what the generator last reported."""

    def __init__(self, store: Store, claim: jobs.Claim, settings: Settings) -> None:
        self.store, self.claim, self.settings = store, claim, settings
        self.progress = 0
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)

    def __enter__(self) -> _Lease:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.settings.heartbeat_seconds):
            try:
                alive = jobs.heartbeat(self.store, self.claim, self.settings.lease_seconds, self.progress)
            except Exception:  # a database hiccup: try again next beat; the lease has slack
                log.exception("heartbeat failed for %s", self.claim.video_id)
                continue
            if not alive:
                self.lost.set()
                return

    def report(self, fraction: float, _stage: str) -> None:
        """Generator progress callback; raises JobCancelled once the job is gone, to stop early."""
        if self.lost.is_set():
            raise JobCancelled(self.claim.video_id)
        self.progress = int(max(0.0, min(1.0, fraction)) * 99)


class Worker:
    """Runs jobs from `settings`' store with `generator` until `stop` is set (or `max_jobs` are done)."""

    def __init__(self, settings: Settings, generator: Generator, store: Store | None = None) -> None:
        self.settings, self.generator = settings, generator
        self.store = store or Store(settings.db_url)
        self.storage = LocalStorage(settings.files_dir)
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    def run(self, stop: threading.Event | None = None, max_jobs: int | None = None) -> int:
        """Claim and run jobs; return how many were run."""
        stop = stop or threading.Event()
        self.store.create_all()
        housekeeping = threading.Thread(target=self._housekeeping, args=(stop,), name="housekeeping", daemon=True)
        housekeeping.start()
        done = 0
        try:
            while not stop.is_set() and (max_jobs is None or done < max_jobs):
                if self.run_once():
                    done += 1
                else:
                    stop.wait(self.settings.worker_poll_seconds)
        finally:
            stop.set()
            housekeeping.join(timeout=self.settings.heartbeat_seconds + 5)
        return done

    def run_once(self) -> bool:
        """Claim one job and run it; False when the queue had nothing to claim."""
        s = self.settings
        claim = jobs.claim(self.store, self.name, s.lease_seconds, s.max_attempts)
        if claim is None:
            return False
        log.info("%s: claimed %s (attempt %d)", self.name, claim.video_id, claim.attempt)
        try:
            self._process(claim)
        except (KeyboardInterrupt, SystemExit):
            _release(self.store, claim)  # hand it back at once instead of waiting for the lease to run out
            raise
        return True

    def _process(self, claim: jobs.Claim) -> None:
        with self.store.read() as session:
            video = session.scalar(select(Video).where(Video.id == claim.video_id))
        assert video is not None
        outputs: dict[str, str] = {}
        with _Lease(self.store, claim, self.settings) as lease:
            try:
                request = self._request(video)
                result = self.generator.generate(request, lease.report)
                outputs = self._write_outputs(video, result.clip, result.metadata)
            except JobCancelled:
                log.info("%s: %s was deleted or taken over; dropping it", self.name, claim.video_id)
            except UnsupportedRequest as err:
                jobs.fail(self.store, claim, err.code, str(err))
            except Exception as err:
                log.exception("%s: generation of %s failed", self.name, claim.video_id)
                jobs.fail(self.store, claim, "generation_failed", f"{type(err).__name__}: {err}")
        if outputs and not jobs.complete(self.store, claim, outputs, self.settings.retention_seconds):
            log.info("%s: lost %s before completing; discarding its outputs", self.name, claim.video_id)
            for file_id in outputs.values():
                self.storage.delete(file_id)

    def _request(self, video: Video) -> GenerationRequest:
        """The generation request a job row describes, with its stored inputs decoded."""
        width, height = (int(v) for v in video.size.split("x"))
        source = self._clip(video.source_file_id) if video.source_file_id else None
        image = None
        if video.image_file_id:
            image = decode_image(self.storage.path(video.image_file_id).read_bytes(), max_pixels=width * height)
        return GenerationRequest(
            prompt=video.prompt,
            seconds=float(video.new_seconds),
            width=width,
            height=height,
            seed=int(video.seed),
            preset=video.preset,
            image=image,
            cameos=self._cameos(video.character_ids or []),
            source=source if video.kind in ("remix", "edit") else None,
            extend=source if video.kind == "extend" else None,
        )

    def _clip(self, file_id: str) -> Clip:
        media = read_mp4(self.storage.path(file_id))
        audio, rate = media.audio, media.sample_rate
        if audio is None or rate is None:
            rate = SOURCE_SAMPLE_RATE
            audio = np.zeros((2, round(media.duration * rate)), np.float32)
        return Clip(frames=media.frames, audio=audio, fps=media.fps, sample_rate=rate, caption="")

    def _cameos(self, character_ids: list[str]) -> tuple[Cameo, ...]:
        cameos = []
        for character_id in character_ids:
            with self.store.read() as session:
                character = session.get(Character, character_id)
            if character is None:
                raise UnsupportedRequest("character_not_found", f"character {character_id} no longer exists")
            clip = self._clip(character.file_id)
            cameos.append(Cameo(character.name, clip.frames, clip.audio, clip.fps, clip.sample_rate))
        return tuple(cameos)

    def _write_outputs(self, video: Video, clip: Clip, metadata: dict[str, str]) -> dict[str, str]:
        """mp4 (picture and sound), WebP thumbnail and JPEG spritesheet in storage; their file ids."""
        if f"{clip.size[0]}x{clip.size[1]}" != video.size:
            raise RuntimeError(f"the generator returned {clip.size[0]}x{clip.size[1]} frames, not {video.size}")
        tags = {"title": video.prompt[:200], "comment": f"phonofilm {video.id}",
                **{f"phonofilm_{k}": str(v) for k, v in metadata.items()}}
        outputs: dict[str, str] = {}
        try:
            for variant, write in (
                ("video", lambda p: write_mp4(p, clip.frames, clip.fps, clip.audio, clip.sample_rate, tags)),
                ("thumbnail", lambda p: thumbnail(clip.frames, p, width=THUMBNAIL_WIDTH)),
                ("spritesheet", lambda p: spritesheet(clip.frames, p)),
            ):
                file_id, path = self.storage.allocate()
                outputs[variant] = file_id
                write(path)
        except BaseException:
            for file_id in outputs.values():
                self.storage.delete(file_id)
            raise
        return outputs

    def _housekeeping(self, stop: threading.Event) -> None:
        """Deliver due webhooks and delete expired outputs until `stop`."""
        next_sweep = 0.0
        with httpx.Client() as client:
            while not stop.wait(min(1.0, self.settings.worker_poll_seconds)):
                with contextlib.suppress(Exception):
                    webhooks.deliver_due(self.store, self.settings, client)
                if time.time() >= next_sweep:
                    next_sweep = time.time() + self.settings.sweep_seconds
                    with contextlib.suppress(Exception):
                        for file_id in jobs.expire(self.store):
                            self.storage.delete(file_id)


def _release(store: Store, claim: jobs.Claim) -> None:
    """Put a claimed job back in the queue without counting the attempt (the worker is shutting down)."""
    with contextlib.suppress(Exception), store.write() as session:
        session.execute(
            update(Video)
            .where(Video.id == claim.video_id, Video.lease_token == claim.token, Video.status == jobs.IN_PROGRESS)
            .values(status=jobs.QUEUED, lease_token=None, lease_until=None, lease_owner=None,
                    attempts=Video.attempts - 1)
        )


@contextlib.contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM; SIGTERM also interrupts the running job so it is handed back at once."""

    def _handler(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, _handler)
    try:
        yield threading.Event()
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_worker(settings: Settings, max_jobs: int | None = None) -> int:
    """Build the generator once and run jobs until SIGTERM / Ctrl-C (or `max_jobs`); return jobs run."""
    generator = build_generator(settings.generator)
    worker = Worker(settings, generator)
    log.info("worker %s ready (generator %s, store %s)", worker.name, settings.generator, worker.store.url)
    with stop_on_signals() as stop:
        try:
            return worker.run(stop, max_jobs)
        except (KeyboardInterrupt, SystemExit):
            return 0
