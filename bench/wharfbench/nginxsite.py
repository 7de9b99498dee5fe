"""nginx serving a rendered site (``site.py``) as static files: the upstream when nginx is
installed, and the limit every other server is compared with. Tuned the way one would for
static files: sendfile, open_file_cache, pre-compressed twins (``gzip_static``), no access
log, one worker per core."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from wharfbench.fetch import HOST

_TEMPS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def nginx_version() -> str:
    found = shutil.which("nginx")
    if not found:
        return ""
    out = subprocess.run([found, "-v"], capture_output=True, text=True, check=False)
    return (out.stderr or out.stdout).strip().rpartition("/")[2]


def _write(prefix: Path, http: str) -> Path:
    """``prefix/nginx.conf``: one worker per core, in the foreground, its temporary files
    under ``prefix``, no access log, sendfile; ``http`` is the rest of the http block."""
    scratch = prefix / "tmp"
    for name in _TEMPS:
        (scratch / name).mkdir(parents=True, exist_ok=True)
    temps = "\n".join(f"  {name}_temp_path {scratch / name};" for name in _TEMPS)
    conf = f"""
worker_processes auto;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
{temps}
  access_log off;
  default_type application/octet-stream;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_timeout 65; keepalive_requests 10000000;
  open_file_cache max=10000 inactive=60s;
{http}}}
"""
    if os.geteuid() == 0:
        # Run as root, nginx hands its workers to "nobody", who may not read a private work
        # directory (pytest's tmp is 0700): keep them as the bench's own user.
        conf = f"user {pwd.getpwuid(0).pw_name};\n" + conf
    path = prefix / "nginx.conf"
    path.write_text(conf)
    return path


def write_conf(prefix: Path, www: Path, port: int) -> Path:
    """The static site: pages picked by ``Accept``, their pre-compressed twins."""
    return _write(prefix, f"""\
  gzip_static on;
  gzip_vary on;
  absolute_redirect off;
  map $http_accept $simple_doc {{
    default index.html;
    "~application/vnd\\.pypi\\.simple\\.v1\\+json" index.json;
  }}
  map $http_accept $npm_doc {{
    default full.json;
    "~application/vnd\\.npm\\.install-v1\\+json" abbrev.npmv1;
  }}
  server {{
    listen {HOST}:{port};
    root {www};
    location /simple/ {{
      index $simple_doc;
      types {{ application/vnd.pypi.simple.v1+json json; text/html html; }}
      add_header Vary Accept;
    }}
    location /big/simple/ {{
      index $simple_doc;
      types {{ application/vnd.pypi.simple.v1+json json; text/html html; }}
      add_header Vary Accept;
    }}
    location /files/ {{
      types {{ application/octet-stream whl; text/plain metadata; }}
    }}
    location /npm/ {{
      types {{ application/json json; application/vnd.npm.install-v1+json npmv1;
              application/octet-stream tgz; }}
      try_files $uri/$npm_doc $uri =404;
      add_header Vary Accept;
    }}
  }}
""")


def write_accel_conf(prefix: Path, port: int, wharf_port: int, wharf_data: Path) -> Path:
    """Wharf behind nginx as its README's "Behind nginx" shows: everything proxied to Wharf
    over keep-alive, and the internal locations its ``X-Accel-Redirect`` answers name,
    which nginx serves from Wharf's data directory."""
    internal = """
      internal;
      types { } default_type $upstream_http_content_type;
      etag off;
      add_header ETag $upstream_http_etag;"""
    return _write(prefix, f"""\
  upstream wharf {{ server {HOST}:{wharf_port}; keepalive 64; }}
  server {{
    listen {HOST}:{port};
    client_max_body_size 0;
    location / {{
      proxy_pass http://wharf;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_buffering off;
      proxy_request_buffering off;
    }}
    location /_wharf/blobs/ {{{internal}
      alias {wharf_data / "blobs"}/;
    }}
    location /_wharf/pages/ {{{internal}
      alias {wharf_data / "pages"}/;
      add_header Content-Encoding $upstream_http_content_encoding;
      add_header Vary $upstream_http_vary;
    }}
  }}
""")


def argv(prefix: Path, conf: Path) -> list[str]:
    return ["nginx", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
