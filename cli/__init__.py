"""The `warehouse` command (`cli.main:main`, the wheel's entry point): what a person types and
sees. Progress and the run summary (`cli.console`), `status` (`cli.status`), query output that
fits the terminal (`cli.table_output`), the Dagster UI's processes (`cli.ui_process`), the log
file (`cli.logs`).

No other room imports it: its interface is the command, so the package exports no names (and
`import cli` stays free for a quick `warehouse --help`).
"""

__all__: list[str] = []
