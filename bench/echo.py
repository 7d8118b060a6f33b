"""The RPC ceiling: a bare nameko ``@rpc echo`` and N concurrent clients.

    python -m bench.echo serve <amqp_uri>
    python -m bench.echo load <amqp_uri> <concurrency> <seconds>   # prints JSON
"""
import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from nameko.rpc import rpc  # noqa: E402


class EchoService:
    name = "echo"

    @rpc
    def echo(self, value):
        return value


def serve(amqp_uri):
    """Until SIGTERM or SIGINT (handled even when the shell that started it in the
    background made it ignore SIGINT): the services' own loop."""
    from common.cli import run_service

    run_service(EchoService, {"AMQP_URI": amqp_uri, "max_workers": 40}, "echo")


def load(amqp_uri, concurrency, seconds):
    from nameko.standalone.rpc import ClusterRpcProxy

    from bench.harness import percentile

    latencies = []
    deadline = time.monotonic() + seconds

    def client():
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as proxy:
            proxy.echo.echo("warm-up")
            while time.monotonic() < deadline:
                started = time.perf_counter()
                proxy.echo.echo("hello")
                latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    pool = eventlet.GreenPool(concurrency)
    for _ in range(concurrency):
        pool.spawn(client)
    pool.waitall()
    elapsed = time.monotonic() - started
    print(json.dumps({"rps": len(latencies) / elapsed, "p50_ms": 1000 * percentile(latencies, 50),
                      "p99_ms": 1000 * percentile(latencies, 99), "calls": len(latencies)}))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        load(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
