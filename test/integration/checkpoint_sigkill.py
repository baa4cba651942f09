"""Kills a training run with SIGKILL while it writes a checkpoint, then checks
that the previous checkpoint is intact and that a run resumed from it ends
exactly where an uninterrupted run ends.

Usage: checkpoint_sigkill.py TRAINER MNIST_DIR WORK_DIR

TRAINER is a compiled model whose checkpoint takes tens of megabytes (so that
writing it takes tens of milliseconds); MNIST_DIR holds MNIST's IDX files.
Every run uses the same seed, data and thread count, so two runs that do the
same epochs write the same bytes.

The killed run trains for EPOCHS epochs; the directory is polled until the
temporary file of the second epoch's save (checkpoint.safetensors.tmp-<pid>)
exists beside the first epoch's checkpoint, and the process is killed then.
The kill counts only if that temporary file is still there once the process
is dead: the writer renames it over the checkpoint when it is complete, so
its presence proves the kill landed before the save finished. A run that
finishes before it is caught is retried; the test fails if none is caught.
"""

import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

EPOCHS = 3
TRAIN_SAMPLES = 512
TEST_SAMPLES = 256
ATTEMPTS = 5
POLL_INTERVAL = 0.0002  # seconds; a 70 MB save takes about 50 ms here
CHECKPOINT = "checkpoint.safetensors"
TEMP_PREFIX = CHECKPOINT + ".tmp-"
# The --log columns an uninterrupted run reproduces bit for bit (the others
# are timings).
LOG_COLUMNS = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"]


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(raw[3])]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def write_data(mnist, work):
    """Small .npy train and test sets, so that the per-epoch evaluation does
    not run over MNIST's 10000 test images: the test is about the saves."""
    paths = {}
    for name, prefix, count in (("train", "train", TRAIN_SAMPLES), ("test", "t10k", TEST_SAMPLES)):
        images = read_idx(os.path.join(mnist, prefix + "-images-idx3-ubyte"))[:count]
        labels = read_idx(os.path.join(mnist, prefix + "-labels-idx1-ubyte"))[:count]
        paths[name] = os.path.join(work, name + ".npy")
        paths[name + "_labels"] = os.path.join(work, name + "_labels.npy")
        np.save(paths[name], images.reshape(count, -1).astype(np.float32) / 255)
        np.save(paths[name + "_labels"], labels.astype(np.int32))
    return paths


def train_command(trainer, data, directory, epochs, resume=None):
    command = [trainer, "train", "--data", data["train"], "--labels", data["train_labels"],
               "--test-data", data["test"], "--test-labels", data["test_labels"],
               "--normalize", "none", "--epochs", str(epochs), "--batch", "128", "--seed", "7",
               "--threads", "2", "--progress", "lines", "--checkpoint-dir", directory,
               "--log", os.path.join(directory, "log.csv")]
    if resume:
        command += ["--resume", resume]
    return command


def run(command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        fail("{} exited with {}:\n{}{}".format(" ".join(command), result.returncode,
                                                result.stdout, result.stderr))
    return result.stdout


def temporaries(directory):
    return sorted(name for name in os.listdir(directory) if ".tmp-" in name)


def inode(path):
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def watch_saves(command, directory):
    """Runs an uninterrupted training run and measures how long each save's
    temporary file exists. Returns stdout and the durations in seconds."""
    os.makedirs(directory)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    windows, seen_since = [], None
    while process.poll() is None:
        now = time.monotonic()
        writing = any(name.startswith(TEMP_PREFIX) for name in os.listdir(directory))
        if writing and seen_since is None:
            seen_since = now
        elif not writing and seen_since is not None:
            windows.append(now - seen_since)
            seen_since = None
        time.sleep(POLL_INTERVAL)
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        fail("{} exited with {}:\n{}{}".format(" ".join(command), process.returncode, stdout,
                                                stderr))
    return stdout, windows


def kill_during_second_save(command, directory):
    """Starts `command` and SIGKILLs it while its second save is being
    written. Returns (pid, polls) once a kill landed mid-write, or None if
    the run got past the save before it could be caught."""
    os.makedirs(directory)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    temp = TEMP_PREFIX + str(process.pid)
    checkpoint = os.path.join(directory, CHECKPOINT)
    first_checkpoint = None  # the inode the first epoch's save renamed into place
    polls = 0
    while process.poll() is None:
        polls += 1
        current = inode(checkpoint)
        if first_checkpoint is None:
            first_checkpoint = current
        # Past the first save and not yet past the second: its temporary
        # file is being written.
        if current is not None and current == first_checkpoint and \
                temp in os.listdir(directory):
            process.send_signal(signal.SIGKILL)
            process.wait()
            if process.returncode != -signal.SIGKILL:
                fail("the killed run exited with {}".format(process.returncode))
            # Still there: the kill came before the rename that completes a save.
            if temp in os.listdir(directory) and inode(checkpoint) == first_checkpoint:
                return process.pid, polls
            return None
        time.sleep(POLL_INTERVAL)
    process.wait()
    return None


def log_rows(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        missing = [c for c in LOG_COLUMNS if c not in row]
        if missing:
            fail("{} has no column {}".format(path, missing[0]))
    return [[row[c] for c in LOG_COLUMNS] for row in rows]


def epoch_lines(stdout):
    """The deterministic part of each epoch line: 'epoch 2/3  loss ...
    test-acc ...%', without the samples/s and seconds."""
    return [re.sub(r"  [0-9.]+ samples/s.*$", "", line) for line in stdout.splitlines()
            if line.startswith("epoch ")]


def same_bytes(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def main():
    if len(sys.argv) != 4:
        fail("usage: checkpoint_sigkill.py TRAINER MNIST_DIR WORK_DIR")
    trainer, mnist, work = sys.argv[1:]
    os.makedirs(work, exist_ok=True)
    data = write_data(mnist, work)
    started = time.monotonic()

    # References: one epoch, and all epochs uninterrupted.
    one, full, killed = (os.path.join(work, name) for name in ("one", "full", "killed"))
    for directory in (one, full, killed):
        shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(one)
    run(train_command(trainer, data, one, 1))
    full_stdout, windows = watch_saves(train_command(trainer, data, full, EPOCHS), full)
    if temporaries(full):
        fail("an uninterrupted run left {}".format(temporaries(full)))

    # The killed run, retried until a kill lands mid-write.
    caught = None
    for attempt in range(1, ATTEMPTS + 1):
        shutil.rmtree(killed, ignore_errors=True)
        caught = kill_during_second_save(train_command(trainer, data, killed, EPOCHS), killed)
        if caught:
            break
        print("attempt {}: the run got past its second save before the kill".format(attempt))
    if not caught:
        fail("no SIGKILL landed while the second checkpoint was being written in {} attempts"
             .format(ATTEMPTS))
    pid, polls = caught
    stale = TEMP_PREFIX + str(pid)
    partial = os.path.getsize(os.path.join(killed, stale))
    complete = os.path.getsize(os.path.join(full, CHECKPOINT))
    # The log is rewritten before the checkpoint is saved, so it may already
    # show the epoch whose save was cut short; resuming rewrites it.
    rows_at_kill = len(log_rows(os.path.join(killed, "log.csv")))
    print("killed pid {} mid-save on attempt {} after {} polls: {} of {} bytes written, "
          "{} log rows; uninterrupted saves took {} ms".format(
              pid, attempt, polls, partial, complete, rows_at_kill,
              ", ".join("{:.1f}".format(1000 * w) for w in windows)))

    # (a) The previous checkpoint is intact: the first epoch's, byte for
    # byte, and it loads.
    checkpoint = os.path.join(killed, CHECKPOINT)
    if not same_bytes(checkpoint, os.path.join(one, CHECKPOINT)):
        fail("after the kill, {} differs from the one-epoch run's".format(checkpoint))
    if temporaries(killed) != [stale]:
        fail("after the kill, expected only {} beside the checkpoint, found {}".format(
            stale, temporaries(killed)))
    evaluations = []
    for path in (checkpoint, os.path.join(one, CHECKPOINT)):
        evaluations.append(run([trainer, "eval", "--checkpoint", path, "--data", data["test"],
                                "--labels", data["test_labels"]]))
    if "{} samples  loss ".format(TEST_SAMPLES) not in evaluations[0]:
        fail("unexpected eval output: " + evaluations[0])
    if evaluations[0] != evaluations[1]:
        fail("eval differs:\n{}{}".format(*evaluations))

    # (b) Resumed in the same directory, with the same log, for the
    # remaining epochs: the same final checkpoint, losses and log as the
    # uninterrupted run, and the dead writer's temporary file is gone.
    resumed_stdout = run(train_command(trainer, data, killed, EPOCHS, resume=checkpoint))
    if not same_bytes(checkpoint, os.path.join(full, CHECKPOINT)):
        fail("the resumed run's final checkpoint differs from the uninterrupted run's")
    if temporaries(killed):
        fail("the resumed run left {}".format(temporaries(killed)))
    expected_lines = epoch_lines(full_stdout)
    if len(expected_lines) != EPOCHS:
        fail("the uninterrupted run printed {} epoch lines:\n{}".format(len(expected_lines),
                                                                       full_stdout))
    if epoch_lines(resumed_stdout) != expected_lines[1:]:
        fail("the resumed run's epochs differ:\n{}\nexpected:\n{}".format(
            "\n".join(epoch_lines(resumed_stdout)), "\n".join(expected_lines[1:])))
    expected_log = log_rows(os.path.join(full, "log.csv"))
    if len(expected_log) != EPOCHS:
        fail("the uninterrupted run's log has {} rows".format(len(expected_log)))
    if log_rows(os.path.join(killed, "log.csv")) != expected_log:
        fail("the resumed run's log differs from the uninterrupted run's")
    print("ok: resumed run matches the uninterrupted one ({:.1f} s)".format(
        time.monotonic() - started))


if __name__ == "__main__":
    main()
