"""The load balancer: Debian's nginx, non-daemon, own config/pid/log/temp paths, loopback only.

Its upstream is the target group. Like an ALB (and unlike nginx's default) it does not retry a
failed request on the other backend (`proxy_next_upstream off`) and never marks a backend down on
its own (`max_fails=0`), so a backend that drops requests shows up as 502s in the figures.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from rehearsal.procs import alive, children
from runtime.localserver import free_port

CONFIG = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    keepalive_timeout 60s;
    upstream target_group {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location = /lb-status {{ stub_status; }}
        location / {{
            proxy_pass http://target_group;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_next_upstream off;
            proxy_connect_timeout 5s;
            proxy_read_timeout 30s;
        }}
    }}
}}
"""


def nginx_binary() -> str:
    """nginx from PATH or /usr/sbin (Debian: `apt-get install -y nginx-light`)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise FileNotFoundError("nginx is missing: apt-get install -y nginx-light")
    return found


@dataclass
class Nginx:
    """One nginx master with one worker; targets are the API ports in the target group."""

    directory: Path
    targets: list[int]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where clients send requests."""
        return f"http://127.0.0.1:{self.port}"

    def _write_config(self) -> None:
        # nginx needs at least one server; an empty target group is "down 127.0.0.1:9"
        lines = [f"        server 127.0.0.1:{p} max_fails=0;" for p in self.targets]
        servers = "\n".join(lines) or "        server 127.0.0.1:9 down;"
        text = CONFIG.format(dir=self.directory, servers=servers, port=self.port)
        (self.directory / "nginx.conf").write_text(text)

    def start(self, timeout_s: float = 10.0) -> Nginx:
        """Write the config, start nginx, wait until its worker runs."""
        (self.directory / "tmp").mkdir(parents=True, exist_ok=True)
        self._write_config()
        conf = str(self.directory / "nginx.conf")
        command = [nginx_binary(), "-p", str(self.directory), "-c", conf, "-e", "stderr"]
        subprocess.run([*command, "-t", "-q"], check=True, capture_output=True)
        log = (self.directory / "nginx.out").open("ab")
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout_s
        while not children(self.process.pid):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start; see {self.directory}/nginx.out")
            time.sleep(0.05)
        return self

    def set_targets(self, targets: list[int]) -> set[int]:
        """Rewrite the upstream and reload (SIGHUP); the old workers' PIDs, still draining."""
        assert self.process is not None
        old = children(self.process.pid)
        self.targets = list(targets)
        self._write_config()
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5.0
        while not children(self.process.pid) - old:
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not reload; see error.log")
            time.sleep(0.01)
        return old

    @staticmethod
    def wait_drained(old_workers: set[int], timeout_s: float) -> bool:
        """Wait until the old workers exited: they only exit once their last in-flight request
        is answered, and they close their keep-alive connections to the backends as they go."""
        deadline = time.monotonic() + timeout_s
        while any(alive(p) for p in old_workers):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def stop(self) -> None:
        """SIGQUIT (graceful), SIGKILL after 5 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
