"""The commands layer: one function per command, called by the CLI and the scheduler alike
with one options object. Stages (workbook, analysis, documents, bundle) never import it."""
