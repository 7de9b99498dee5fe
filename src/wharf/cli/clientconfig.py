"""``wharf client-config``: ready-to-paste pip.conf, uv.toml and .pypirc snippets."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from wharf.cli.common import add_settings_options, settings_from

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]
TOOLS = ("pip", "uv", "pypirc")


def register(commands: Commands) -> None:
    parser = commands.add_parser(
        "client-config", help="print pip, uv and twine settings for an index",
    )
    parser.add_argument("--index", default="pypi", help="index to point clients at (pypi)")
    parser.add_argument("--url", help="Wharf's URL as clients see it (default: from settings)")
    parser.add_argument("--tool", choices=(*TOOLS, "all"), default="all")
    add_settings_options(parser)
    parser.set_defaults(handler=print_config)


def snippets(base: str, index: str) -> dict[str, str]:
    simple = f"{base}/{index}/simple/"
    host = base.split("://", 1)[-1].split("/", 1)[0].split(":", maxsplit=1)[0]
    trusted = f"trusted-host = {host}\n" if base.startswith("http://") else ""
    return {
        "pip": f"# ~/.config/pip/pip.conf\n[global]\nindex-url = {simple}\n{trusted}",
        "uv": f'# ~/.config/uv/uv.toml\n[[index]]\nname = "wharf"\nurl = "{simple}"\n'
              f'default = true\npublish-url = "{base}/{index}/"\n',
        "pypirc": f"# ~/.pypirc (twine upload -r wharf dist/*)\n[distutils]\n"
                  f"index-servers = wharf\n\n[wharf]\nrepository = {base}/{index}/\n"
                  f"username = __token__\npassword = <a token from `wharf token create`>\n",
    }


def print_config(args: argparse.Namespace) -> int:
    settings = settings_from(args).settings
    base = (args.url or settings.server.public_url
            or f"http://{settings.server.host}:{settings.server.port}").rstrip("/")
    chosen = snippets(base, args.index)
    for tool in TOOLS if args.tool == "all" else (args.tool,):
        print(chosen[tool])
    return 0
