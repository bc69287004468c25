"""Retries of unary calls and re-attaching watches (flowgrid.retry,
flowgrid.Client): the policy alone, then the client against a scripted
WorkflowService on loopback that refuses, breaks streams and records what
it was sent."""

import concurrent.futures
import time
import unittest

import grpc

import flowgrid
from flowgrid.retry import RETRYABLE, backoff_delay, call_with_retries
from flowgrid.v1 import scheduler_pb2, scheduler_pb2_grpc, workflow_pb2

FAST = flowgrid.RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.05)
WORKFLOW = {"name": "w", "nodes": [{"id": "start", "start": {}}, {"id": "end", "end": {}}],
            "edges": [{"source": "start", "target": "end"}]}


def error(code, retry_after=None):
    return flowgrid.Error(code, "refused", retry_after)


class BackoffTest(unittest.TestCase):
    policy = flowgrid.RetryPolicy(max_attempts=5, initial_backoff=0.1, max_backoff=1.0)

    def test_exponential_then_capped(self):
        unavailable = error(grpc.StatusCode.UNAVAILABLE)
        delays = [backoff_delay(self.policy, n, unavailable, 0.0) for n in range(1, 7)]
        self.assertEqual(delays, [0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
        self.assertEqual(backoff_delay(self.policy, 1000, unavailable, 0.0), 1.0)

    def test_jitter_stretches_by_up_to_half(self):
        unavailable = error(grpc.StatusCode.UNAVAILABLE)
        self.assertAlmostEqual(backoff_delay(self.policy, 2, unavailable, 0.5), 0.25)
        self.assertAlmostEqual(backoff_delay(self.policy, 2, unavailable, 0.999), 0.2999, 4)

    def test_the_schedulers_delay_wins_and_is_never_shortened(self):
        full = error(grpc.StatusCode.RESOURCE_EXHAUSTED, retry_after=3.0)
        self.assertEqual(backoff_delay(self.policy, 1, full, 0.0), 3.0)
        self.assertAlmostEqual(backoff_delay(self.policy, 4, full, 0.4), 3.6)

    def test_max_attempts_must_be_positive(self):
        with self.assertRaisesRegex(ValueError, "at least 1"):
            flowgrid.RetryPolicy(max_attempts=0)


class CallWithRetriesTest(unittest.TestCase):
    def run_attempts(self, failures, policy=FAST, deadline=100.0):
        """Fails with `failures` in turn, then returns "ok"; a fake clock
        advanced by each sleep. Returns (result or raised error, attempts, sleeps)."""
        calls, sleeps, now = [], [], [0.0]

        def attempt():
            calls.append(1)
            if len(calls) <= len(failures):
                raise failures[len(calls) - 1]
            return "ok"

        def sleep(seconds):
            sleeps.append(seconds)
            now[0] += seconds

        try:
            result = call_with_retries(policy, deadline, attempt, clock=lambda: now[0],
                                       sleep=sleep, jitter=lambda: 0.0)
        except flowgrid.Error as e:
            result = e
        return result, len(calls), sleeps

    def test_retryable_failures_are_retried(self):
        for code in RETRYABLE:
            with self.subTest(code=code):
                result, attempts, sleeps = self.run_attempts([error(code), error(code)])
                self.assertEqual((result, attempts), ("ok", 3))
                self.assertEqual(sleeps, [0.01, 0.02])

    def test_other_failures_are_not(self):
        result, attempts, _ = self.run_attempts([error(grpc.StatusCode.INVALID_ARGUMENT)])
        self.assertEqual(result.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(attempts, 1)

    def test_gives_up_after_max_attempts_saying_so(self):
        result, attempts, _ = self.run_attempts([error(grpc.StatusCode.UNAVAILABLE)] * 9)
        self.assertEqual(attempts, 4)
        self.assertEqual(result.code, grpc.StatusCode.UNAVAILABLE)
        self.assertTrue(result.message.endswith("(gave up after 4 attempts)"), result.message)

    def test_one_attempt_is_reported_as_is(self):
        policy = flowgrid.RetryPolicy(max_attempts=1)
        result, attempts, _ = self.run_attempts([error(grpc.StatusCode.UNAVAILABLE)], policy)
        self.assertEqual((attempts, result.message), (1, "refused"))

    def test_no_wait_past_the_deadline(self):
        full = error(grpc.StatusCode.RESOURCE_EXHAUSTED, retry_after=5.0)
        result, attempts, sleeps = self.run_attempts([full] * 3, deadline=7.0)
        self.assertEqual((attempts, sleeps), (2, [5.0]))
        self.assertEqual(result.retry_after, 5.0)


class ScriptedScheduler(scheduler_pb2_grpc.WorkflowServiceServicer):
    """SubmitRun: RESOURCE_EXHAUSTED with `retry-after-ms: 300` for a key
    not seen before (always without a key), then a run.
    WatchRun of run-1: the first is refused (RESOURCE_EXHAUSTED, the cap on
    watch streams, `retry-after-ms: 200`), the next sends events 1-2 and
    breaks (UNAVAILABLE); a re-attached one sends 2 again (a repeat the
    client must drop), then 3, run_finished. Of run-full: always refused."""

    def __init__(self):
        self.submits = []  # (monotonic time, idempotency key)
        self.watches = []  # (monotonic time, after_sequence) of each WatchRun

    def SubmitRun(self, request, context):
        seen = any(key == request.idempotency_key for _, key in self.submits)
        self.submits.append((time.monotonic(), request.idempotency_key))
        if not seen or not request.idempotency_key:
            context.set_trailing_metadata((("retry-after-ms", "300"),))
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "scheduler full")
        return scheduler_pb2.SubmitRunResponse(run_id="run-1")

    def WatchRun(self, request, context):
        self.watches.append((time.monotonic(), request.after_sequence))
        if len(self.watches) == 1 or request.run_id == "run-full":
            context.set_trailing_metadata((("retry-after-ms", "200"),))
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many watch streams")
        if len(self.watches) == 2:
            yield self.event(1, "run_started")
            yield self.event(2, "node_started")
            context.abort(grpc.StatusCode.UNAVAILABLE, "connection reset")
        yield self.event(2, "node_started")
        yield self.event(3, "run_finished")

    @staticmethod
    def event(sequence, kind):
        event = workflow_pb2.RunEvent(run_id="run-1", sequence=sequence)
        getattr(event, kind).SetInParent()
        return event


class ClientAgainstScriptedSchedulerTest(unittest.TestCase):
    def setUp(self):
        self.scheduler = ScriptedScheduler()
        self.server = grpc.server(concurrent.futures.ThreadPoolExecutor(4))
        scheduler_pb2_grpc.add_WorkflowServiceServicer_to_server(self.scheduler, self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.addCleanup(self.server.stop, None)
        self.client = flowgrid.Client(f"127.0.0.1:{port}", timeout=10, retries=FAST,
                                      watch_initial_backoff=0.01)
        self.addCleanup(self.client.close)

    def test_submit_waits_the_schedulers_delay_and_keeps_its_key(self):
        self.assertEqual(self.client.submit(WORKFLOW), "run-1")
        (first, key), (second, key_again) = self.scheduler.submits
        self.assertGreaterEqual(second - first, 0.3)
        self.assertTrue(key.startswith("py-") and len(key) == 35, key)
        self.assertEqual(key_again, key)

    def test_a_given_key_is_sent_and_without_retries_none_is_made(self):
        self.client.submit(WORKFLOW, idempotency_key="mine")
        self.assertEqual([key for _, key in self.scheduler.submits], ["mine", "mine"])
        with flowgrid.Client(self.client.address, retries=1) as once:
            with self.assertRaises(flowgrid.Error) as refused:
                once.submit(WORKFLOW)
        self.assertEqual(refused.exception.code, grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual(self.scheduler.submits[-1][1], "")
        self.assertEqual(refused.exception.retry_after, 0.3)
        self.assertIn("SubmitRun to 127.0.0.1:", refused.exception.message)

    def test_watch_reattaches_after_the_last_event_and_yields_each_once(self):
        events = [(e.sequence, e.WhichOneof("kind")) for e in self.client.watch("run-1")]
        self.assertEqual(events, [(1, "run_started"), (2, "node_started"), (3, "run_finished")])
        (refused, after_0), (second, after_0_again), (_, after_2) = self.scheduler.watches
        self.assertEqual((after_0, after_0_again, after_2), (0, 0, 2))
        self.assertGreaterEqual(second - refused, 0.2)

    def test_watch_gives_up_keeping_the_code_and_delay(self):
        with flowgrid.Client(self.client.address, watch_reattempts=2) as client:
            with self.assertRaises(flowgrid.Error) as refused:
                list(client.watch("run-full"))
        self.assertEqual(refused.exception.code, grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual(refused.exception.retry_after, 0.2)
        self.assertIn("failed 3 times in a row without an event (last sequence 0)",
                      refused.exception.message)
        self.assertEqual(len(self.scheduler.watches), 3)

    def test_nothing_listening_is_unavailable_after_the_retries(self):
        self.server.stop(None).wait()
        with self.assertRaises(flowgrid.Error) as unreachable:
            self.client.get("run-1")
        self.assertEqual(unreachable.exception.code, grpc.StatusCode.UNAVAILABLE)
        self.assertIn("(gave up after 4 attempts)", str(unreachable.exception))


if __name__ == "__main__":
    unittest.main()
