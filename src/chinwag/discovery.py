"""Zero-configuration discovery on the LAN: mDNS/DNS-SD with the ``zeroconf`` library.

Two halves:

* :class:`Advertiser` is what a server runs: it announces ``_irc._tcp.local.`` (and
  ``_ircs._tcp.local.`` when given a TLS port) under an instance name such as
  "chinwag on <hostname>", made unique on the LAN by mDNS probing ("... -2"), with a TXT
  record ``network=<name> version=<chinwag version> software=chinwag``. ``close()``
  sends the goodbye packets, so browsers see the server disappear at once.
* :class:`DiscoveryBrowser` is what a client runs: it keeps :attr:`DiscoveryBrowser.servers`
  (a list of :class:`FoundServer`) up to date and calls ``on_change`` with the new list
  whenever a server appears, changes or goes away.

Threads: each object owns one :class:`zeroconf.Zeroconf` running its own event loop on its
own thread (``use_asyncio=False``), so it works the same whether or not the caller is
inside an asyncio loop, and never touches the caller's loop. ``Advertiser.start()`` opens
the sockets and returns; probing and announcing (about two seconds) carry on in the
background. ``close()`` on either object blocks for at most about ``timeout`` seconds.

Which interfaces mDNS uses is a parameter (``interfaces``). By default it is every
interface, unless the environment variable ``CHINWAG_MDNS_INTERFACES`` lists IPv4
addresses (comma-separated), e.g. ``127.0.0.1`` to keep tests off the real LAN or to pin a
machine with several networks to one of them.

What it deliberately does not do: it does not choose *which* found server to connect to
(that is the connect dialog's job), does not advertise or browse over IPv6, and does not
retry when the network has no multicast-capable interface (``start()`` raises
:class:`~chinwag.errors.LocalError` and the caller decides whether that matters).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ipaddress
import logging
import os
import re
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import ifaddr
from zeroconf import (
    DNSQuestionType,
    InterfaceChoice,
    IPVersion,
    ServiceBrowser,
    ServiceInfo,
    ServiceStateChange,
    Zeroconf,
)
from zeroconf._dns import DNSQuestion
from zeroconf._protocol.outgoing import DNSOutgoing

from chinwag import __version__
from chinwag.errors import LocalError

log = logging.getLogger(__name__)

IRC_SERVICE = "_irc._tcp.local."
IRCS_SERVICE = "_ircs._tcp.local."
SOFTWARE = "chinwag"

# mDNS instance names are one DNS label: at most 63 bytes.
MAX_INSTANCE_BYTES = 63
# How long a browser waits for a found service's SRV/TXT/A records.
RESOLVE_TIMEOUT = 3.0
# Services resolved at once by a browser: one that never answers blocks only its worker.
RESOLVE_WORKERS = 4
# DNS constants (RFC 1035) for the PTR question asked before probing.
_TYPE_PTR = 12
_CLASS_IN = 1
_FLAGS_QR_QUERY = 0x0000
# Upper bound for close(): goodbye packets take ~0.75 s, thread shutdown a little more.
CLOSE_TIMEOUT = 3.0

MDNS_INTERFACES_ENV = "CHINWAG_MDNS_INTERFACES"
WILDCARD_HOSTS = ("", "0.0.0.0", "::")

Interfaces = InterfaceChoice | Sequence[str]


def default_interfaces() -> Interfaces:
    """Every interface, or the addresses listed in ``$CHINWAG_MDNS_INTERFACES``."""
    listed = [a.strip() for a in os.environ.get(MDNS_INTERFACES_ENV, "").split(",") if a.strip()]
    return listed or InterfaceChoice.All


def lan_ipv4_addresses() -> list[str]:
    """Every non-loopback, non-link-local IPv4 address of this machine, sorted.

    Link-local (169.254/16) addresses are left out: they are what an interface has when
    it did not get a real address, and clients cannot usually reach them.
    """
    found: set[str] = set()
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if not ip.is_IPv4 or not isinstance(ip.ip, str):
                continue
            addr = ipaddress.IPv4Address(ip.ip)
            if addr.is_loopback or addr.is_link_local or addr.is_unspecified:
                continue
            found.add(str(addr))
    return sorted(found, key=ipaddress.IPv4Address)


def advertised_addresses(bound_hosts: Iterable[str]) -> list[str]:
    """The IPv4 addresses to announce for a server bound to ``bound_hosts``.

    A wildcard bind (0.0.0.0) means every LAN address of the machine, or 127.0.0.1 when
    it has none; a specific IPv4 address means just that one. IPv6 binds are skipped
    (we announce IPv4 only).
    """
    out: list[str] = []
    for host in bound_hosts:
        if host in WILDCARD_HOSTS:
            candidates = lan_ipv4_addresses() or ["127.0.0.1"]
        elif ":" in host:
            continue
        else:
            candidates = [host]
        out.extend(a for a in candidates if a not in out)
    return out


def reachable_from_lan(addresses: Iterable[str], interfaces: Interfaces | None = None) -> list[str]:
    """The ``addresses`` worth announcing over mDNS: the ones others can reach.

    Loopback addresses are left out (announcing 127.0.0.1 to the LAN points everyone at
    their own machine), unless mDNS itself is pinned to loopback interfaces
    (``$CHINWAG_MDNS_INTERFACES=127.0.0.1``), where only this machine listens anyway.
    """
    pinned = default_interfaces() if interfaces is None else interfaces
    local_only = isinstance(pinned, list) and all(_is_loopback(a) for a in pinned)
    return [a for a in addresses if local_only or not _is_loopback(a)]


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def default_instance_name() -> str:
    """ "chinwag on <short hostname>", trimmed to fit one DNS label."""
    host = socket.gethostname().split(".")[0] or "localhost"
    return _fit_label(f"chinwag on {host}")


def _fit_label(name: str) -> str:
    # Keep a few bytes spare for the " (2)"-style suffix zeroconf adds on a name clash.
    data = name.encode()[: MAX_INSTANCE_BYTES - 4]
    return data.decode(errors="ignore").strip() or "chinwag"


def _mdns_hostname() -> str:
    """This machine's name as an mDNS host: letters, digits and hyphens, then .local."""
    host = socket.gethostname().split(".")[0].lower()
    host = re.sub(r"[^a-z0-9-]+", "-", host).strip("-") or "chinwag"
    return f"{host[:63]}.local."


def _zeroconf(interfaces: Interfaces) -> Zeroconf:
    choice: Any = interfaces if isinstance(interfaces, InterfaceChoice) else list(interfaces)
    try:
        return Zeroconf(interfaces=choice, ip_version=IPVersion.V4Only, use_asyncio=False)
    except OSError as exc:
        raise LocalError(f"cannot use mDNS on this network: {exc}") from exc


@dataclass(frozen=True)
class FoundServer:
    """One chinwag (or other IRC) server seen on the LAN.

    ``name`` is the instance name ("chinwag on kitchen-pc"), ``host`` the mDNS host name
    ("kitchen-pc.local."), ``addresses`` its IPv4 addresses as strings. ``network`` and
    ``version`` come from the TXT record (empty when absent, e.g. another IRC server).
    ``tls_port`` is where the server listens with TLS (the ``tls`` TXT key, or ``port``
    itself for an ``_ircs._tcp`` service), None when it does not; ``fingerprint`` is the
    certificate's SHA-256 as announced (the ``fp`` TXT key: chinwag sends 64 lowercase hex
    digits; readers normalize), or "".
    """

    name: str
    host: str
    port: int
    network: str
    version: str
    addresses: tuple[str, ...]
    tls: bool = False
    software: str = ""
    # The web service's ports (TXT http= and https=), when it runs one.
    http_port: int | None = None
    https_port: int | None = None
    tls_port: int | None = None  # TXT ``tls=``: where the server also listens with TLS
    fingerprint: str = ""  # TXT ``fp=``: its certificate's SHA-256, as announced

    @property
    def address(self) -> str:
        """What to connect to: the first IPv4 address, or the host name if there is none."""
        return self.addresses[0] if self.addresses else self.host.rstrip(".")


class Advertiser:
    """Announce one server on the LAN until :meth:`close`.

    ``addresses`` are the IPv4 addresses to announce; None means every LAN address of
    the machine (:func:`lan_ipv4_addresses`), falling back to 127.0.0.1 when the machine
    has none, so a client on the same machine still finds it. A server should pass
    ``advertised_addresses(<its bound hosts>)``, so that one bound to a single address
    announces just that address.
    """

    def __init__(
        self,
        port: int | None,
        *,
        network: str = "chinwag",
        name: str | None = None,
        addresses: Sequence[str] | None = None,
        tls_port: int | None = None,
        http_port: int | None = None,
        https_port: int | None = None,
        fingerprint: str | None = None,
        version: str = __version__,
        interfaces: Interfaces | None = None,
        host: str | None = None,
    ) -> None:
        if port is None and tls_port is None:
            raise LocalError("nothing to advertise: no port")
        self.port = port
        self.tls_port = tls_port
        self.http_port = http_port  # the web service, in TXT as http=/https=
        self.https_port = https_port
        self.fingerprint = fingerprint
        self.network = network
        self.version = version
        self.requested_name = _fit_label(name) if name else default_instance_name()
        if addresses is None:
            addresses = lan_ipv4_addresses() or ["127.0.0.1"]
        self.addresses = tuple(addresses)
        self.interfaces = default_interfaces() if interfaces is None else interfaces
        # The mDNS host name the services point at (this machine's "<name>.local." unless
        # given): every advertiser of one host name must announce the same addresses.
        self.host = host or _mdns_hostname()
        self._zc: Zeroconf | None = None
        self._infos: list[ServiceInfo] = []
        self._registering: concurrent.futures.Future[None] | None = None
        self._registered = threading.Event()

    @property
    def names(self) -> list[str]:
        """The instance names actually announced (unique after probing), once registered."""
        return [_instance_name(info.name, info.type) for info in self._infos]

    def _properties(self) -> dict[str, str]:
        properties = {"network": self.network, "version": self.version, "software": SOFTWARE}
        if self.http_port is not None:
            properties["http"] = str(self.http_port)
        if self.https_port is not None:
            properties["https"] = str(self.https_port)
        if self.tls_port is not None:
            properties["tls"] = str(self.tls_port)
            if self.fingerprint:
                properties["fp"] = self.fingerprint
        return properties

    def _make_infos(self) -> list[ServiceInfo]:
        properties = self._properties()
        server = self.host
        ports = [] if self.port is None else [(IRC_SERVICE, self.port)]
        if self.tls_port is not None:
            ports.append((IRCS_SERVICE, self.tls_port))
        return [
            ServiceInfo(
                type_,
                f"{self.requested_name}.{type_}",
                port=port,
                properties=properties,
                server=server,
                parsed_addresses=list(self.addresses),
            )
            for type_, port in ports
        ]

    def start(self) -> None:
        """Open the mDNS sockets and start announcing; returns without waiting for it.

        Raises LocalError when mDNS cannot be used at all (no usable interface).
        """
        if self._zc is not None:
            raise LocalError("Advertiser already started")
        zc = _zeroconf(self.interfaces)
        self._zc = zc
        self._infos = self._make_infos()
        assert zc.loop is not None
        self._registering = asyncio.run_coroutine_threadsafe(self._register(zc), zc.loop)

    async def _register(self, zc: Zeroconf) -> None:
        try:
            # zeroconf's probe only notices a clash with a name already in its cache, and
            # probe answers sent by unicast may go to another process on this machine
            # (SO_REUSEPORT). Asking for every instance of our types by multicast first
            # fills the cache, so the probe renames us ("name-2") on a clash.
            ask = DNSOutgoing(_FLAGS_QR_QUERY)
            for info in self._infos:
                ask.add_question(DNSQuestion(info.type, _TYPE_PTR, _CLASS_IN))
            zc.async_send(ask)
            for info in self._infos:
                announced = await zc.async_register_service(info, allow_name_change=True)
                await announced
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed announcement must not take the server down
            log.warning("mDNS announcement failed", exc_info=True)
            return
        self._registered.set()
        log.debug("mDNS announcement done: %s", ", ".join(dict.fromkeys(self.names)))

    def update_fingerprint(self, fingerprint: str, timeout: float = CLOSE_TIMEOUT) -> None:
        """Announce a new certificate fingerprint (after a reload). Blocks until the first
        announcement is done (probing takes about two seconds), bounded; never raises."""
        if fingerprint == self.fingerprint:
            return
        self.fingerprint = fingerprint
        zc = self._zc
        if zc is None or not self._registered.wait(2 * timeout):
            return
        assert zc.loop is not None
        properties = self._properties()
        self._infos = [
            ServiceInfo(
                info.type,
                info.name,  # the name probing settled on
                port=info.port,
                properties=properties,
                server=info.server,
                parsed_addresses=list(self.addresses),
            )
            for info in self._infos
        ]
        try:
            for info in self._infos:
                future = asyncio.run_coroutine_threadsafe(zc.async_update_service(info), zc.loop)
                future.result(timeout)
        except Exception:
            log.warning("mDNS update of the fingerprint failed", exc_info=True)

    def wait_registered(self, timeout: float) -> bool:
        """Block until announced (probing takes about two seconds); False on time-out."""
        return self._registered.wait(timeout)

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Withdraw the announcement (goodbye packets) and stop; idempotent, bounded.

        Must not be called from a zeroconf callback.
        """
        zc, self._zc = self._zc, None
        if zc is None:
            return
        assert zc.loop is not None
        if self._registering is not None and not self._registering.done():
            # Let the announcements finish first (about a second): one still being sent
            # after the goodbye would bring the service back in every browser, for good.
            try:
                self._registering.result(timeout)
            except Exception:  # time-out or a failed announcement: stop it
                self._registering.cancel()
        try:
            withdraw = asyncio.run_coroutine_threadsafe(self._unregister(zc), zc.loop)
            withdraw.result(timeout)
        except Exception:  # time-out or a dead loop: close regardless
            log.warning("mDNS withdrawal did not finish", exc_info=True)
        zc.close()
        self._registered.clear()

    async def _unregister(self, zc: Zeroconf) -> None:
        # Every service's goodbyes at once (each takes ~0.75 s), so that both the plain
        # and the TLS service are withdrawn within close()'s bound on a busy machine.
        goodbyes = [
            await zc.async_unregister_service(info)
            for info in self._infos
            if zc.registry.async_get_info_name(info.key) is not None  # it got registered
        ]
        await asyncio.gather(*goodbyes)

    def __enter__(self) -> Advertiser:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _instance_name(full_name: str, type_: str) -> str:
    suffix = "." + type_
    return full_name[: -len(suffix)] if full_name.endswith(suffix) else full_name


def _found_from_info(info: ServiceInfo) -> FoundServer | None:
    if info.port is None:
        return None
    props = info.decoded_properties
    tls = info.type == IRCS_SERVICE
    tls_port = _port_or_none(props.get("tls")) or (info.port if tls else None)
    return FoundServer(
        name=_instance_name(info.name, info.type),
        host=info.server or "",
        port=info.port,
        network=props.get("network") or "",
        version=props.get("version") or "",
        addresses=tuple(info.parsed_addresses(IPVersion.V4Only)),
        tls=tls,
        software=props.get("software") or "",
        http_port=_port_or_none(props.get("http")),
        https_port=_port_or_none(props.get("https")),
        tls_port=tls_port,
        fingerprint=props.get("fp") or "",
    )


def _port_or_none(text: str | None) -> int | None:
    port = int(text) if text and text.isascii() and text.isdigit() else 0
    return port if 0 < port < 65536 else None


class DiscoveryBrowser:
    """Keep a live list of IRC servers on the LAN.

    ``on_change(servers)`` is called with the whole new list (sorted by name, then TLS)
    after every change. It is invoked on zeroconf's browser thread or one of the
    browser's resolver threads (one call at a time), never the caller's: a GUI must hand
    the list over to its own thread (e.g. a queue drained with ``after()``), and the
    callback must not call :meth:`close`.
    """

    def __init__(
        self,
        on_change: Callable[[list[FoundServer]], None],
        *,
        interfaces: Interfaces | None = None,
        service_types: Iterable[str] = (IRC_SERVICE, IRCS_SERVICE),
        resolve_timeout: float = RESOLVE_TIMEOUT,
    ) -> None:
        self.on_change = on_change
        self.interfaces = default_interfaces() if interfaces is None else interfaces
        self.service_types = list(service_types)
        self.resolve_timeout = resolve_timeout
        self._zc: Zeroconf | None = None
        self._browser: ServiceBrowser | None = None
        self._lock = threading.Lock()
        self._notify_lock = threading.Lock()
        self._found: dict[tuple[str, str], FoundServer] = {}
        # Bumped by every event for a service, so a slow resolve never undoes a later one.
        self._generation: dict[tuple[str, str], int] = {}
        self._resolver: concurrent.futures.ThreadPoolExecutor | None = None

    @property
    def servers(self) -> list[FoundServer]:
        """The servers seen right now (a copy)."""
        with self._lock:
            return _sorted(self._found.values())

    def start(self) -> None:
        """Start browsing; returns at once. Raises LocalError when mDNS is unusable."""
        if self._zc is not None:
            raise LocalError("DiscoveryBrowser already started")
        self._zc = _zeroconf(self.interfaces)
        self._resolver = concurrent.futures.ThreadPoolExecutor(
            max_workers=RESOLVE_WORKERS, thread_name_prefix="mdns-resolve"
        )
        self._browser = ServiceBrowser(
            self._zc, self.service_types, handlers=[self._on_service_state_change]
        )

    def _on_service_state_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        # Runs on the ServiceBrowser thread, which delivers every event in turn: the
        # blocking resolve goes to a worker, so a service that never answers (one that
        # went away before it was resolved) cannot hold up the others behind it.
        key = (service_type, name.lower())
        with self._lock:
            self._generation[key] = generation = self._generation.get(key, 0) + 1
            if state_change is ServiceStateChange.Removed:
                changed = self._found.pop(key, None) is not None
        if state_change is not ServiceStateChange.Removed:
            resolver = self._resolver
            if resolver is None:
                return  # closed meanwhile
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                resolver.submit(self._resolve, zeroconf, key, service_type, name, generation)
            return
        if changed:
            self._changed()

    def _resolve(
        self,
        zeroconf: Zeroconf,
        key: tuple[str, str],
        service_type: str,
        name: str,
        generation: int,
    ) -> None:
        # Ask for multicast answers (QM): a unicast answer goes to port 5353 on this
        # machine, where every mDNS user shares the port (SO_REUSEPORT), so it may reach
        # another process instead of us, and the service would never be resolved.
        info = zeroconf.get_service_info(
            service_type,
            name,
            timeout=int(self.resolve_timeout * 1000),
            question_type=DNSQuestionType.QM,
        )
        found = _found_from_info(info) if info is not None else None
        if found is None:
            return
        with self._lock:
            if self._generation.get(key) != generation:
                return  # removed or changed while it was resolved: a newer event decides
            changed = self._found.get(key) != found
            self._found[key] = found
        if changed:
            self._changed()

    def _changed(self) -> None:
        with self._notify_lock:  # one call at a time, each with the list as it is then
            try:
                self.on_change(self.servers)
            except Exception:
                log.exception("discovery on_change callback failed")

    def close(self) -> None:
        """Stop browsing; idempotent. Must not be called from ``on_change``."""
        zc, self._zc = self._zc, None
        browser, self._browser = self._browser, None
        if browser is not None:
            browser.cancel()
        resolver, self._resolver = self._resolver, None
        if resolver is not None:
            resolver.shutdown(wait=False, cancel_futures=True)
        if zc is not None:
            zc.close()
        with self._lock:
            self._found.clear()

    def __enter__(self) -> DiscoveryBrowser:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sorted(servers: Iterable[FoundServer]) -> list[FoundServer]:
    return sorted(servers, key=lambda s: (s.name.lower(), s.tls, s.port))
