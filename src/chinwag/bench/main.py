"""Load-test an IRC server on this machine and print one JSON line with the results.

Scenarios:
  fanout   C clients join one channel; S of them each send M messages as fast as the
           server takes them. Deliveries per second (first send to last delivery),
           lost deliveries (must be 0), latency p50/p99 on a sample of receivers.
  paced    the same at a fixed total send rate: latency under a realistic load.
  dm       P pairs of clients play private-message ping-pong: round trips per second
           and round-trip p50/p99.
  connect  K clients register (registrations per second), stay idle, and must all
           still answer a PING; with --server-pid, the server's RSS per connection.
           With --sasl plain|scram --account NAME:PASSWORD every client logs in to
           that account while registering (SASL logins per second).
  lobby    N clients (10,000) in one room, paced traffic into it: delivery latency
           p50/p99 over every member, and the server's RSS.
  soak     a mixed load for a while (paced channel traffic, private-message ping-pong,
           clients joining and quitting): the server's RSS growth after the warm-up,
           and nothing lost.
  overrun  the fan-out with no send window (20 clients, 10 senders x 1,000 messages that
           never wait): lost deliveries and the server's peak RSS.

Works against any IRC server, but only on loopback (127.0.0.0/8 or ::1). Give
--server-pid so the report shows the server's CPU time next to the generator's: the
side near 1.0 core was the bottleneck. Exit status: 0 when the run completed with
nothing lost, 1 when it did not, 2 for bad arguments or a refused target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import ssl
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

from chinwag.bench import scale, scenarios
from chinwag.bench.measure import resolve_loopback, source_addresses
from chinwag.bench.ws import WsConnector
from chinwag.errors import LocalError

SCENARIOS = ("fanout", "paced", "dm", "connect", "lobby", "soak", "overrun")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def _nonneg_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value


def _oper(text: str) -> tuple[str, str]:
    name, sep, password = text.partition(":")
    if not sep or not name or not password:
        raise argparse.ArgumentTypeError("expected NAME:PASSWORD")
    return name, password


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("target")
    g.add_argument("--host", default="127.0.0.1", help="server address (loopback only)")
    g.add_argument("--port", type=_positive_int, default=6667, help="server port")
    g.add_argument("--password", help="connection password (PASS), if the server needs one")
    g.add_argument(
        "--tls",
        action="store_true",
        help="connect over TLS (the server's certificate is not verified: loopback only)",
    )
    g.add_argument(
        "--server-pid",
        type=_positive_int,
        help="PID of the server process, to report its CPU time (and RSS for connect)",
    )
    g.add_argument(
        "--oper",
        type=_oper,
        metavar="NAME:PASSWORD",
        help="OPER the sending clients first (ngircd only lifts its throttling for opers)",
    )
    g.add_argument(
        "--sasl",
        choices=("plain", "scram"),
        help="log every client in with SASL PLAIN or SCRAM-SHA-256 (needs --account)",
    )
    g.add_argument(
        "--account",
        type=_oper,
        metavar="NAME:PASSWORD",
        help="the account --sasl logs in to (make it with: chinwag accounts add NAME)",
    )
    g.add_argument(
        "--umodes",
        metavar="MODES",
        help="user modes to set after --oper, e.g. +F for ngircd's relaxed flood control",
    )
    g.add_argument(
        "--source-ips",
        type=_nonneg_int,
        default=16,
        help="spread connections over 127.0.0.2.. this many source addresses "
        "(avoids ephemeral port exhaustion; 0 = let the kernel pick)",
    )
    g.add_argument(
        "--timeout",
        type=_positive_float,
        help="overall deadline for the scenario in seconds (default 120; lobby 600; "
        "soak its duration + 120)",
    )
    g.add_argument(
        "--websocket",
        metavar="URL",
        help="connect over IRC-over-WebSocket (text.ircv3.net) at URL, e.g. "
        "ws://127.0.0.1:8080/ws, instead of TCP to --host/--port",
    )
    g.add_argument("--label", help="a name for the target, copied into the JSON line")
    return common


def _paced_options(
    p: argparse.ArgumentParser, *, clients: int, rate: float, duration: float
) -> None:
    """The options of a room with paced senders (paced, lobby)."""
    p.add_argument("--clients", type=_positive_int, default=clients, help="clients in the room")
    p.add_argument("--senders", type=_positive_int, default=10, help="how many of them send")
    p.add_argument(
        "--rate", type=_positive_float, default=rate, help="messages per second, all senders"
    )
    p.add_argument("--duration", type=_positive_float, default=duration, help="seconds of sending")
    p.add_argument("--size", type=_positive_int, default=64, help="bytes of text per message")


def _burst_options(p: argparse.ArgumentParser, clients: int, sample: int) -> None:
    """The options of a fan-out at full speed (fanout, overrun)."""
    p.add_argument("--clients", type=_positive_int, default=clients, help="clients in the channel")
    p.add_argument("--senders", type=_positive_int, default=10, help="how many of them send")
    p.add_argument("--messages", type=_positive_int, default=1000, help="messages per sender")
    p.add_argument("--size", type=_positive_int, default=64, help="bytes of text per message")
    p.add_argument("--sample", type=_nonneg_int, default=sample, help="receivers that time latency")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    common = _common_options()
    sub = parser.add_subparsers(dest="scenario", metavar="{" + ",".join(SCENARIOS) + "}")
    sub.required = True
    fmt = argparse.ArgumentDefaultsHelpFormatter

    p = sub.add_parser(
        "fanout",
        parents=[common],
        formatter_class=fmt,
        help="C clients in one channel, S senders x M messages at full speed",
    )
    _burst_options(p, clients=100, sample=8)
    p.add_argument(
        "--window",
        type=_nonneg_int,
        default=50,
        help="max messages per sender not yet seen by a watching receiver; 0 = unbounded "
        "(only TCP back-pressure; some servers, e.g. inspircd, then stall on their "
        "input backlog)",
    )

    p = sub.add_parser(
        "paced",
        parents=[common],
        formatter_class=fmt,
        help="the same at a fixed send rate: latency under a realistic load",
    )
    _paced_options(p, clients=100, rate=200.0, duration=5.0)
    p.add_argument("--sample", type=_nonneg_int, default=8, help="receivers that time latency")

    p = sub.add_parser(
        "dm",
        parents=[common],
        formatter_class=fmt,
        help="P pairs ping-pong private messages: round trips/s, p50/p99",
    )
    p.add_argument("--pairs", type=_positive_int, default=50, help="client pairs")
    p.add_argument("--duration", type=_positive_float, default=5.0, help="seconds of ping-pong")

    p = sub.add_parser(
        "connect",
        parents=[common],
        formatter_class=fmt,
        help="registrations/s, then K idle clients held: RSS per connection",
    )
    p.add_argument("--count", type=_positive_int, default=1000, help="clients to register (K)")
    p.add_argument(
        "--concurrency",
        type=_positive_int,
        default=10,
        help="registrations in flight at once (ngircd listens with a backlog of 10)",
    )
    p.add_argument(
        "--hold", type=float, default=2.0, help="seconds to keep them idle before checking"
    )
    _scale_parsers(sub, common)


def _scale_parsers(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    p = sub.add_parser(
        "lobby",
        parents=[common],
        formatter_class=fmt,
        help="N clients in one room, paced traffic: latency to every member, server RSS",
    )
    _paced_options(p, clients=10_000, rate=10.0, duration=10.0)
    p.add_argument(
        "--concurrency", type=_positive_int, default=50, help="registrations in flight at once"
    )

    p = sub.add_parser(
        "soak",
        parents=[common],
        formatter_class=fmt,
        help="mixed load for a duration: server RSS growth after warm-up, nothing lost",
    )
    p.add_argument("--duration", type=_positive_float, default=600.0, help="seconds of load")
    p.add_argument(
        "--warmup", type=float, default=60.0, help="seconds before RSS growth is counted "
        "(at most a fifth of the duration)"
    )  # fmt: skip
    p.add_argument("--members", type=_positive_int, default=50, help="clients in the room")
    p.add_argument("--senders", type=_positive_int, default=5, help="how many of them send")
    p.add_argument("--rate", type=_positive_float, default=20.0, help="channel messages/s")
    p.add_argument("--pairs", type=_nonneg_int, default=10, help="private-message pairs")
    p.add_argument("--dm-rate", type=_positive_float, default=2.0, help="pings/s per pair")
    p.add_argument(
        "--churn", type=float, default=2.0, help="clients per second that join, talk and quit"
    )
    p.add_argument("--size", type=_positive_int, default=64, help="bytes of text per message")

    p = sub.add_parser(
        "overrun",
        parents=[common],
        formatter_class=fmt,
        help="fan-out whose senders never wait: lost deliveries, server peak RSS",
    )
    _burst_options(p, clients=20, sample=4)


def raise_fd_limit() -> int:
    """Raise this process's open-file soft limit to the hard limit; return the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def default_timeout(args: argparse.Namespace) -> float:
    """Seconds a scenario may take when --timeout is not given."""
    if args.scenario == "lobby":
        return 600.0
    if args.scenario == "soak":
        return float(args.duration) + 120.0
    return 120.0


def _scenario_call(
    args: argparse.Namespace, target: scenarios.Target
) -> Coroutine[Any, Any, scenarios.Result]:
    if args.scenario == "fanout":
        if args.senders >= args.clients:
            raise LocalError("--senders must be smaller than --clients")
        return scenarios.fanout(
            target,
            args.clients,
            args.senders,
            args.messages,
            args.size,
            args.sample,
            args.window,
        )
    if args.scenario == "paced":
        if args.senders >= args.clients:
            raise LocalError("--senders must be smaller than --clients")
        return scenarios.paced(
            target,
            args.clients,
            args.senders,
            args.rate,
            args.duration,
            args.size,
            args.sample,
        )
    if args.scenario == "dm":
        return scenarios.dm(target, args.pairs, args.duration)
    if args.scenario in ("lobby", "overrun") and args.senders >= args.clients:
        raise LocalError("--senders must be smaller than --clients")
    if args.scenario == "lobby":
        return scale.lobby(
            target,
            args.clients,
            args.senders,
            args.rate,
            args.duration,
            args.size,
            args.concurrency,
        )
    if args.scenario == "overrun":
        return scale.overrun(
            target, args.clients, args.senders, args.messages, args.size, args.sample
        )
    if args.scenario == "soak":
        if args.senders > args.members:
            raise LocalError("--senders must not be more than --members")
        return scale.soak(
            target,
            args.duration,
            args.warmup,
            args.members,
            args.senders,
            args.rate,
            args.pairs,
            args.dm_rate,
            args.churn,
            args.size,
        )
    return scenarios.connect(target, args.count, args.concurrency, args.hold)


def _loop_factory() -> tuple[str, Callable[[], asyncio.AbstractEventLoop] | None]:
    try:
        import uvloop
    except ImportError:
        return "asyncio", None
    return "uvloop", uvloop.new_event_loop


def _unverified_tls() -> ssl.SSLContext:
    """A client context that accepts any certificate: the bench measures, it does not trust."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def _run(args: argparse.Namespace, family: int, address: str) -> scenarios.Result:
    loop = asyncio.get_running_loop()
    sources = source_addresses(family, args.source_ips)
    target = scenarios.Target(
        host=args.host,
        port=args.port,
        address=address,
        family=family,
        sources=sources,
        password=args.password,
        oper=args.oper,
        umodes=args.umodes,
        sasl=(args.sasl, *args.account) if args.sasl else None,
        server_pid=args.server_pid,
        websocket=WsConnector(args.websocket, sources) if args.websocket else None,
        tls=_unverified_tls() if args.tls else None,
        deadline=loop.time() + (args.timeout or default_timeout(args)),
    )
    try:
        return await _scenario_call(args, target)
    finally:
        if target.websocket is not None:
            await target.websocket.close()


def run_scenario(args: argparse.Namespace) -> scenarios.Result:
    """Run the scenario ``args`` describe and return its result dict (for tests and
    scripts); raises LocalError for a refused target or inconsistent options."""
    if getattr(args, "sasl", None) and not getattr(args, "account", None):
        raise LocalError("--sasl needs --account NAME:PASSWORD")
    family, address = resolve_loopback(args.host, args.port)
    fd_limit = raise_fd_limit()
    loop_name, factory = _loop_factory()
    started = time.time()
    with asyncio.Runner(loop_factory=factory) as runner:
        result = runner.run(_run(args, family, address))
    result["label"] = args.label
    result["transport"] = "websocket" if args.websocket else "tcp"
    result["loop"] = loop_name
    result["fd_limit"] = fd_limit
    result["started"] = round(started, 3)
    result["python"] = platform.python_version()
    result["generator_pid"] = os.getpid()
    return result


def run(args: argparse.Namespace) -> int:
    try:
        result = run_scenario(args)
    except LocalError as exc:
        print(f"chinwag bench: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, sort_keys=False), flush=True)
    return 0 if result.get("ok") else 1
