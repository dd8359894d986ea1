"""Chinese help, usage and option errors for the ``beian`` command line.

Typer (and the click it carries) prints ``Usage:``, ``Options``, ``Show this message and exit.``
and ``Error: No such option`` in English, with no translation hook for most of them. The command
classes here write the usage line and the help option in Chinese, turn the section headings of
the help page into Chinese, and print option errors themselves — usage, a hint to ``-h`` and a
Chinese sentence naming the option — with click's exit code (2).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

USAGE_PREFIX = "用法："
HELP_TEXT = "显示本帮助并退出。"
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."

# Headings and markers of click's help page, as printed on their own line or in brackets.
_HELP_PHRASES = (
    (re.compile(r"^(\s*)Options:$", re.M), r"\1选项："),
    (re.compile(r"^(\s*)Arguments:$", re.M), r"\1参数："),
    (re.compile(r"^(\s*)Commands:$", re.M), r"\1命令："),
    (re.compile(r"\[required\]"), "[必填]"),
    (re.compile(r"\[default:\s+(.*?)\]", re.S), r"[默认：\1]"),
    (re.compile(r" <[A-Za-z_\[\]]+>"), ""),  # typer's type placeholder, e.g. <list[Path]>
)

# English messages click builds from f-strings, and their Chinese.
_MESSAGES = (
    (re.compile(r"^No such command '(.+?)'\.(?: Did you mean (.+)\?)?$"), "没有命令“{0}”。{1}"),
    (re.compile(r"^Got unexpected extra arguments? \((.+)\)$"), "多余的参数：{0}。"),
    (re.compile(r"^Option '(.+?)' requires an argument\.$"), "选项 {0} 后面需要写一个值。"),
    (re.compile(r"^Option '(.+?)' requires (\d+) arguments\.$"), "选项 {0} 后面需要写 {1} 个值。"),
    (re.compile(r"^Option '(.+?)' does not take a value\.$"), "选项 {0} 后面不能写值。"),
    (re.compile(r"^Missing command\.$"), "缺少命令。"),
)
_VALUE_ERRORS = (
    (re.compile(r"^'?(.*?)'? is not a valid (?:float|integer)(?: range)?\.?$"), "“{0}”不是数字"),
    (re.compile(r"^'?(.*?)'? is not a valid boolean\.?$"), "“{0}”不是 是/否"),
    (re.compile(r"^Input should be a valid (?:number|integer)\b.*$"), "不是数字"),
)


def zh_help(text: str) -> str:
    """A click help page with its headings and markers in Chinese."""
    for pattern, replacement in _HELP_PHRASES:
        text = pattern.sub(replacement, text)
    return text


def _translated(message: str, table: tuple[tuple[re.Pattern[str], str], ...]) -> str | None:
    for pattern, template in table:
        found = pattern.match(message)
        if found:
            groups = [g or "" for g in found.groups()]
            if template.startswith("没有命令") and groups[1]:
                groups[1] = f"是不是 {groups[1].replace(chr(39), '')}？"
            return template.format(*groups)
    return None


def _kinds(exc: BaseException) -> set[str]:
    """The names of the exception's classes. Click's usage errors are known by their documented
    class names (``NoSuchOption``, ``UsageError`` …): typer carries its own copy of click and
    exports none of them, so the names hold whichever copy raised the error."""
    return {kind.__name__ for kind in type(exc).__mro__}


def _hint(exc: Any) -> str:
    if exc.param is not None and exc.param.param_type_name == "argument" and exc.param.metavar:
        return exc.param.metavar
    if exc.param_hint is not None:
        hints = exc.param_hint
        return " / ".join(hints) if not isinstance(hints, str) else hints
    if exc.param is not None:
        return " / ".join(exc.param.opts) if exc.param.opts else str(exc.param.name)
    return ""


def zh_error(exc: Any) -> str:
    """The Chinese sentence for one of click's usage errors (the English one if unknown)."""
    kinds = _kinds(exc)
    if "NoSuchOption" in kinds:
        similar = f"是不是 {'、'.join(sorted(exc.possibilities))}？" if exc.possibilities else ""
        return f"没有选项 {exc.option_name}。{similar}"
    if "MissingParameter" in kinds:
        argument = exc.param is not None and exc.param.param_type_name == "argument"
        return f"缺少{'参数' if argument else '选项'} {_hint(exc)}。"
    if "BadParameter" in kinds:
        detail = _translated(exc.message, _VALUE_ERRORS) or exc.message
        return f"{_hint(exc)} 的值无效：{detail}。"
    message = exc.format_message() if "ClickException" in kinds else str(exc)
    return _translated(message, _MESSAGES) or message


class _Chinese:
    """What both command classes share: a Chinese usage line, help option and help page."""

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE_PREFIX)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_TEXT
        return option

    def get_help(self, ctx: Any) -> str:
        return zh_help(super().get_help(ctx))  # type: ignore[misc]


class ZhCommand(_Chinese, TyperCommand):
    """A ``beian`` subcommand with Chinese help."""


class ZhGroup(_Chinese, TyperGroup):
    """The ``beian`` command: Chinese help, and option errors printed in Chinese."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            code = result if isinstance(result, int) else 0
        except typer.Abort:
            typer.echo("已中止。", err=True)
            code = 1
        except Exception as exc:
            kinds = _kinds(exc)
            if "ClickException" not in kinds:
                raise
            code = exc.exit_code  # type: ignore[attr-defined]
            ctx = getattr(exc, "ctx", None)
            if "NoArgsIsHelpError" in kinds:
                typer.echo(ctx.get_help() if ctx else "", err=True)
            else:
                if "UsageError" in kinds and ctx is not None:
                    typer.echo(ctx.get_usage(), err=True)
                    typer.echo(f"查看帮助：{ctx.command_path} -h", err=True)
                typer.echo(f"错误：{zh_error(exc)}", err=True)
        if not standalone_mode:
            return code
        sys.exit(code)
