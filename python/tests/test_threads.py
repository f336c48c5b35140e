"""Thread safety: programs are shared, evaluation releases the GIL."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import rwc
from conftest import example, w2_batch


def test_concurrent_evaluations_of_one_program_agree_with_sequential_ones(grpo):
    batches = [w2_batch(2048, seed=s) for s in range(16)]
    expected = [grpo.evaluate(i, group=g)["reward"].tobytes() for i, g in batches]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(3):
            got = list(pool.map(lambda b: grpo.evaluate(b[0], group=b[1])["reward"].tobytes(), batches))
            assert got == expected


def test_evaluation_releases_the_gil(grpo):
    """While one thread evaluates a large batch, another runs Python code."""
    inputs, group = w2_batch(1 << 20)
    grpo.evaluate(inputs, group=group)  # warm up
    done = threading.Event()
    counts = []

    def count():
        n = 0
        while not done.is_set():
            n += 1
        counts.append(n)

    # How fast a Python thread counts on its own ...
    columns, n = grpo._columns(inputs)
    ids = grpo._groups(group, n)
    counter = threading.Thread(target=count)
    start = time.perf_counter()
    counter.start()
    time.sleep(0.2)
    done.set()
    counter.join()
    alone = counts.pop() / (time.perf_counter() - start)
    # ... and while this thread is inside the evaluator.
    done.clear()
    counter = threading.Thread(target=count)
    counter.start()
    time.sleep(0.01)
    start = time.perf_counter()
    for _ in range(3):
        grpo._native.evaluate(columns, None, ids, None, n, True, False, "scalar")
    inside = time.perf_counter() - start
    done.set()
    counter.join()
    # Holding the GIL, the evaluator would let the counter run only in the
    # gaps between calls (a few switch intervals of 5 ms); released, the
    # counter runs throughout (sharing the CPU on one core).
    assert counts[0] > 0.25 * alone * inside, (counts[0], alone, inside)


def test_steps_of_one_batch_from_many_threads_are_serialised():
    program = rwc.compile("spec t\ninput x: f32 in 0.0..=1.0\nlet s = total(x)\nreward = s\n", warn=False)
    batch = program.batch(64)
    ones = {"x": np.ones(64, np.float32)}

    def steps(_):
        for _ in range(50):
            batch.step(ones)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(steps, range(4)))
    # 200 steps, each adding 1: no step lost or doubled by a race.
    assert batch.step(ones)["reward"].tolist() == [201.0] * 64
