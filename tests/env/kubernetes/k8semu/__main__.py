"""Entry point: `python3 -m k8semu --port P --state-dir D ...` (tests/env/kubernetes.sh
starts it). Builds the store, the kubelet, the job controller and the TLS server, then
serves until SIGTERM, when it removes every container it started.
"""
import argparse
import json
import signal
import ssl
import sys
import threading

from .api import Handler
from .events import Events
from .faults import Faults
from .http_base import Server
from .jobs import JobController
from .kubelet import Kubelet
from .podman import Podman
from .store import Store


class App:
    pass


def main():
    p = argparse.ArgumentParser(prog="k8semu")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--address", default="127.0.0.1")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--client-ca", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--podman", required=True, help="the podman argv prefix, as a JSON list")
    p.add_argument("--instance", required=True, help="label value that marks our containers")
    p.add_argument("--namespace", action="append", default=[])
    p.add_argument("--bookmark-interval", type=float, default=5.0)
    p.add_argument("--history", type=int, default=20000)
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()

    app = App()
    app.verbose = args.verbose
    app.bookmark_interval = args.bookmark_interval
    app.store = Store(args.history)
    app.faults = Faults()
    app.podman = Podman(json.loads(args.podman), args.instance)
    app.events = Events(app.store)
    app.kubelet = Kubelet(app.store, app.faults, app.podman, app.events, args.state_dir)
    app.jobs = JobController(app.store, app.kubelet, app.events)
    for ns in ["default", "kube-system"] + args.namespace:
        if app.store.find("namespaces", None, ns) is None:
            app.store.create("namespaces", None, {"metadata": {"name": ns},
                                                  "spec": {"finalizers": ["kubernetes"]},
                                                  "status": {"phase": "Active"}})

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    ctx.load_verify_locations(args.client_ca)
    ctx.verify_mode = ssl.CERT_OPTIONAL  # a client certificate OR a bearer token
    ctx.set_alpn_protocols(["http/1.1"])
    with open(args.token_file) as f:
        token = f.read().strip()
    server = Server((args.address, args.port), Handler, ctx, token, app)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"k8semu: serving https://{args.address}:{args.port}", file=sys.stderr, flush=True)
    server.serve_forever(poll_interval=0.5)
    app.kubelet.shutdown()


if __name__ == "__main__":
    main()
