"""The `warehouse` command (`cli.main:main`): what a person types and sees. Progress and the run
summary (`cli.console`), `status` (`cli.status`), query output that fits the terminal
(`cli.table_output`), the Dagster UI's processes (`cli.ui_process`), the log file (`cli.logs`)."""
