"""Celery broker transports: kombu's Redis and filesystem transports with two faults of theirs mended.

Both are selected with ``CELERY_BROKER_TRANSPORT`` in the settings; the broker URL keeps its usual form.
docs/operations.md tells the whole story; in short:

* ``RedisTransport`` — when Redis goes away while the worker holds unacknowledged messages, Celery closes the
  broken connection twice (``Connection.collect()`` and then ``Connection.close()``). The first close detaches
  the transport from its connection; the second asks the channel to put the unacknowledged messages back,
  the channel builds a new connection pool from the detached transport and fails with
  ``AttributeError: 'NoneType' object has no attribute 'hostname'``. Celery ignores only connection errors
  there, so the worker exits for good (kombu 5.7.0, celery 5.7.0; no release fixes it). Here the channel
  raises a Redis ``ConnectionError`` instead, which Celery ignores, and the worker reconnects. The messages
  it could not put back stay in Redis's unacked index and come back after ``visibility_timeout``.

* ``FilesystemTransport`` — the development broker (no servers needed). kombu's transport creates the
  message file under its final name and then writes into it; a worker listing the folder at that moment
  takes the empty or half-written file and dies on ``JSONDecodeError``. Here a message is written to a
  hidden temporary file in the same folder, flushed to disk and renamed into place (``os.replace`` is atomic
  within one file system), so a reader sees either no file or the whole message. A reader claims a file by
  renaming it into ``processing/`` next to the queue (one reader wins the rename), and a file that still
  cannot be decoded (left over from an older broker, or a disk error) is moved to ``broken/`` with an error
  in the log instead of stopping the worker.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem, redis
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)


class RedisChannel(redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection.client is None:
            # The transport was detached by Connection.close()/collect(): this channel is being torn down after
            # a lost connection. A connection error is what the callers expect (and ignore) at that point.
            raise redis.get_redis_ConnectionError()("the broker connection is closed")
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(redis.Transport):
    Channel = RedisChannel


def _age(name: str) -> tuple[float, str]:
    """Oldest first by the millisecond stamp a file name starts with (ours "<ms>_<uuid>", kombu's own
    "<ms.frac>_<uuid>"): as numbers, since a string sort puts "10000_" before "9999_". A name without a stamp
    sorts first, so a leftover is dealt with rather than starved."""
    stamp = name.partition("_")[0]
    try:
        return (float(stamp), name)
    except ValueError:
        return (0.0, name)


class FilesystemChannel(filesystem.Channel):
    PROCESSING = "processing"
    BROKEN = "broken"

    def _put(self, queue, payload, **kwargs):
        """Put a message on ``queue``: written whole under a hidden name, then renamed into place."""
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        folder = Path(self.data_folder_out)
        final = folder / name
        # A leading dot keeps the half-written file out of every listing: readers take only "<…>.<queue>.msg".
        temporary = folder / f".{name}.tmp"
        try:
            with open(temporary, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, final)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise ChannelError(f"Cannot add file {str(final)!r} to directory") from exc

    def _get(self, queue):
        """Take the oldest whole message of ``queue``; a message another worker took first is skipped."""
        wanted = f"{queue}.msg"
        folder = Path(self.data_folder_in)
        processing = folder / self.PROCESSING
        processing.mkdir(exist_ok=True)
        for name in sorted(os.listdir(folder), key=_age):
            if name.startswith(".") or name.partition(".")[2] != wanted:
                continue
            claimed = processing / name
            try:
                # rename(2) is atomic: of several workers reaching for one file exactly one succeeds.
                os.rename(folder / name, claimed)
            except OSError:
                continue
            try:
                payload = claimed.read_bytes()
            except OSError as exc:
                raise ChannelError(f"Cannot read file {str(claimed)!r} from queue.") from exc
            try:
                message = loads(bytes_to_str(payload))
            except ValueError:
                broken = folder / self.BROKEN
                broken.mkdir(exist_ok=True)
                os.replace(claimed, broken / name)
                logger.error("Broker message %s cannot be decoded; moved to %s", name, broken)
                continue
            if self.store_processed:
                os.replace(claimed, Path(self.processed_folder) / name)
            else:
                claimed.unlink(missing_ok=True)
            return message
        raise Empty()

    def get_table(self, exchange):
        # kombu creates an exchange file before it locks and writes it; a reader in between sees it empty.
        try:
            return super().get_table(exchange)
        except ValueError:
            return []


class FilesystemTransport(filesystem.Transport):
    Channel = FilesystemChannel
