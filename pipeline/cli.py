"""The `isms-review` command: a thin layer that parses options, calls one stage function and
turns known errors into one line and an exit code (0 ok, 1 problems found, unreadable input or a
fault of the disk, 2 usage error, 3 internal error, 4 `verify`: consistent but not proven,
130/143 stopped by SIGINT/SIGTERM)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import faults
from .analysis import analyse as run_analysis
from .bundle.options import BundleOptions, parse_size
from .bundle.verify import verify_bundle
from .commands.build import build as run_build
from .commands.bundle import bundle_command, bundle_findings
from .commands.gate import Refused as BuildRefused
from .commands.gate import check_workbook
from .commands.options import BuildOptions
from .commands.output import dumps, envelope, error_finding, text_findings
from .console import console, print_analysis, print_report
from .documents.check import check_templates, ignored_files, template_files, template_plan
from .errors import UserError
from .example import write_example
from .files import source_date
from .loop import NextReview, roll_forward
from .signals_guard import Interrupted, interruptible
from .workbook.annotate import annotate
from .workbook.findings import Report, finding
from .workbook.template import build_workbook, write_workbook
from .workbook.validate import STAGES, read_data

F = TypeVar("F", bound=Callable[..., Any])
INTERNAL_ERROR = 3


def user_errors(func: F) -> F:
    """Show a :class:`UserError` as one line on stderr with exit 1; never a traceback.
    Any other exception is a bug: say so plainly, still without a traceback."""

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OSError as exc:  # the disk or the folders, not a bug: say which and what to do
            raise faults.user_error(exc) from exc

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except UserError as exc:
            if kwargs.get("as_json"):  # machine output stays machine output, on stdout
                report = getattr(exc, "report", None)
                findings = report.findings if report is not None else [error_finding(exc)]
                context = click.get_current_context(silent=True)
                name = context.info_name if context is not None and context.info_name else \
                    func.__name__.removesuffix("_command").removesuffix("_cmd").replace("_", "-")
                extra = {"verdict": None} if name == "verify" else {}  # not a verdict: an error
                click.echo(dumps(envelope(name, findings, ok=False, error=str(exc), **extra)))
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except Interrupted as exc:  # SIGTERM/SIGINT inside interruptible(): cleaned up already
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; nothing half-written was left behind.", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:
            click.echo(
                f"error: internal problem ({type(exc).__name__}: {exc}). This is a bug in "
                "isms-review; please report it with the command you ran.",
                err=True,
            )
            sys.exit(INTERNAL_ERROR)

    return wrapper  # type: ignore[return-value]


def _print_findings(findings: list[Any], out: Any, workbook: Path | str = "") -> None:
    """Warnings a successful command still has to tell (the validator's and the bundle's),
    for ``workbook``."""
    if findings:
        from .workbook.findings import Report

        print_report(Report(str(workbook), list(findings)), out)


def _parent_exists(path: Path, option: str) -> None:
    """An output path whose folder does not exist is a typo, not a request to create folders."""
    parent = path.resolve().parent
    blocker = faults.blocking_file(parent)
    if blocker is not None:
        raise UserError(f"{option} {path}: {blocker} is a file, not a folder; choose a folder (or "
                        "move that file away) and run again.")
    if not parent.is_dir():
        raise UserError(f"{option} {path}: the folder {parent} does not exist; check the path or "
                        "create the folder first.")


PathArg = click.Path(path_type=Path)
DirArg = click.Path(path_type=Path, file_okay=False)


def _volume_size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """--volume-size as bytes: a bad value is a usage error (exit 2), like any bad option."""
    if value is None:
        return None
    try:
        return parse_size(value, "--volume-size", plain=1)
    except UserError as exc:
        raise click.BadParameter(str(exc).removeprefix("--volume-size "),
                                 ctx=ctx, param=param) from None


def evidence_options(func: F) -> F:
    """The evidence options shared by bundle and build."""
    for option in reversed((
        click.option("--attach-as-is", "attach_as_is", multiple=True, metavar="FILE",
                     help="Attach this evidence file (its File value on the Evidence sheet) unopened "
                     "even though its type is not accepted; repeat for several."),
        click.option("--ocr", is_flag=True,
                     help="Add a text layer to scanned pages (needs OCRmyPDF and Tesseract)."),
        click.option("--max-file-size", default="4GB", show_default=True,
                     help="Largest evidence file accepted."),
        click.option("--max-bundle-size", default="20GB", show_default=True,
                     help="Largest total of evidence in one bundle."),
        click.option("--volume-size", callback=_volume_size, metavar="SIZE",
                     help="Split a bundle larger than this (500MB, 2GB, or a number of bytes) into "
                          "volumes numbered as one, each with a volume index."),
    )):
        func = option(func)
    return func


def _bundle_options(attach_as_is: tuple[str, ...], ocr: bool, max_file_size: str,
                    max_bundle_size: str, volume_size: int | None = None) -> BundleOptions:
    if ocr:
        from .bundle.ocr import check_available

        check_available()
    return BundleOptions(attach_as_is=frozenset(attach_as_is), ocr=ocr,
                         max_file_bytes=parse_size(max_file_size, "--max-file-size"),
                         max_bundle_bytes=parse_size(max_bundle_size, "--max-bundle-size"),
                         volume_bytes=volume_size)



class JsonAwareGroup(click.Group):
    """A usage error (a missing file, a bad option value) of a command run with ``--json`` is
    still printed as that command's JSON envelope on stdout (exit 2), so a tool reading the
    output never gets click's plain text instead."""

    def invoke(self, ctx: click.Context) -> Any:
        args = [*ctx._protected_args, *ctx.args]  # click clears them before the command parses
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            if "--json" not in args[1:] or exc.ctx is None or exc.ctx is ctx:
                raise
            name = exc.ctx.info_name or ""
            extra = {"verdict": None} if name == "verify" else {}
            found = finding("usage-error", exc.format_message())
            click.echo(dumps(envelope(name, [found], ok=False, error=exc.format_message(), **extra)))
            raise


@click.group(cls=JsonAwareGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="isms-review")
def main() -> None:
    """isms-review: one Excel workbook in, a validated ISO/IEC 27001 clause 9.3 management
    review out."""


@main.command("new-workbook")
@click.argument("path", type=PathArg)
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@user_errors
def new_workbook(path: Path, force: bool) -> None:
    """Write a blank management-review workbook to PATH (.xlsx)."""
    if path.exists() and not force:
        raise UserError(f"{path}: already exists; choose another name or add --force.")
    if path.suffix.lower() != ".xlsx":
        raise UserError(f"{path}: the workbook name must end in .xlsx.")
    write_workbook(path, build_workbook())
    click.echo(f"wrote {path}")


@main.command()
@click.argument("workbook", type=PathArg)
@click.option("--evidence", type=DirArg, help="Evidence folder: check the files exist in it.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--annotate", "annotate_to", type=PathArg,
              help="Write a copy of the workbook with each problem cell highlighted.")
@click.option("--previous", type=PathArg, help="The previous review's workbook: check nothing vanished.")
@click.option("--stage", type=click.Choice(STAGES), default="pre-read", show_default=True,
              help="final: also the rules `build --stage final` refuses on, as errors.")
@user_errors
def validate(workbook: Path, evidence: Path | None, as_json: bool,
             annotate_to: Path | None, previous: Path | None, stage: str) -> None:
    """Check WORKBOOK against the workbook contract. Exit 0 when there are no errors."""
    if evidence is not None and not evidence.is_dir():
        raise UserError(f"{evidence}: the evidence folder does not exist.")
    result = check_workbook(workbook, evidence, previous, stage)  # type: ignore[arg-type]
    report = result.report
    if as_json:  # one JSON document: a failed annotated copy is one more finding in it
        failed = _annotated(workbook, report, annotate_to, as_json) if annotate_to is not None else None
        if failed is not None:
            report = Report(report.path, [*report.findings, error_finding(failed)])
        click.echo(report.to_json())
        if failed is not None:
            click.echo(f"error: {failed}", err=True)
            sys.exit(failed.exit_code)
        sys.exit(0 if report.ok else 1)
    print_report(report, console())  # the report first: a failed annotated copy never loses it
    if annotate_to is not None:
        failed = _annotated(workbook, report, annotate_to, as_json)
        if failed is not None:
            raise failed
    sys.exit(0 if report.ok else 1)


def _annotated(workbook: Path, report: Report, target: Path, as_json: bool) -> UserError | None:
    """Write the annotated copy (saying so), or return why it could not be written."""
    try:
        _parent_exists(target, "--annotate")
        marked = annotate(workbook, report, target)
    except UserError as exc:
        return exc
    except OSError as exc:
        return faults.user_error(exc)
    click.echo(f"annotated copy: {target} ({marked} cell(s) marked)", err=as_json)
    return None


@main.command()
@click.argument("folder", type=DirArg)
@click.option("--force", is_flag=True, help="Replace the example files if FOLDER already holds them.")
@user_errors
def example(folder: Path, force: bool) -> None:
    """Write the fictional example review (workbooks and evidence) into FOLDER."""
    _parent_exists(folder, "FOLDER")
    existing = [p for p in (folder / "review.xlsx", folder / "review-final.xlsx", folder / "evidence")
                if p.exists()]
    if existing and not force:
        raise UserError(f"{existing[0]}: already exists; choose an empty folder or add --force "
                        "to replace the example files.")
    for path in write_example(folder):
        click.echo(f"wrote {path}")


@main.command("analyse")
@click.argument("workbook", type=PathArg)
@click.option("--json", "as_json", is_flag=True, help="Print the whole analysis as JSON.")
@click.option("--charts", "charts_dir", type=DirArg, help="Write the trend and KPI charts (PNG) here.")
@click.option("--previous", type=PathArg, help="The previous review's workbook: add what changed.")
@user_errors
def analyse_command(workbook: Path, as_json: bool, charts_dir: Path | None,
                    previous: Path | None) -> None:
    """Trends, KPIs and the decisions requested of management. An invalid workbook is
    reported, not analysed (exit 1)."""
    result = check_workbook(workbook, previous=previous)
    if not result.report.ok:
        if as_json:
            click.echo(dumps({**result.report.to_dict(), "command": "analyse"}))
        else:
            print_report(result.report, console())
        click.echo(f"error: {workbook}: fix the errors above, then run analyse again.", err=True)
        sys.exit(1)
    analysis = run_analysis(result.data, changes=result.changes)
    if charts_dir is not None:
        from .analysis.charts import write_charts  # matplotlib: loaded only when asked

        written = write_charts(analysis.charts(), charts_dir)
        click.echo(f"wrote {len(written)} chart(s) to {charts_dir}", err=as_json)
    if as_json:
        click.echo(dumps({"schema_version": 1, "command": "analyse", "ok": True,
                          "findings": [f.to_dict() for f in result.report.findings],
                          **analysis.to_dict()}))
    else:
        print_analysis(analysis, console())


@main.command("build")
@click.argument("workbook", type=PathArg)
@click.option("--evidence", type=DirArg, required=True, help="The evidence folder.")
@click.option("--out", "out", type=DirArg, required=True, help="Where the per-review folder goes.")
@click.option("--stage", type=click.Choice(STAGES), default="pre-read",
              show_default=True, help="pre-read: agenda, pre-read, minutes form. final: minutes.")
@click.option("--templates", type=DirArg, help="Your template folder (checked before doc_templates/).")
@click.option("--minutes", type=click.IntRange(30, 480), default=90, show_default=True,
              help="Length of the meeting for the agenda timings.")
@click.option("--previous", type=PathArg,
              help="The previous review's workbook: check nothing vanished; the pre-read shows changes.")
@click.option("--allow-incomplete", is_flag=True,
              help="Make the evidence bundle even when evidence or a circulated document is "
                   "missing (marked INCOMPLETE, saying what is missing).")
@click.option("--reissue", is_flag=True,
              help="Re-issue the pre-read after the meeting or once final minutes exist (recorded "
                   "in the issue register as a re-issue).")
@click.option("--change-note", default="", help="Why this version is issued (recorded in the register).")
@click.option("--json", "as_json", is_flag=True,
              help="Print what was written and every finding as JSON (progress stays on stderr).")
@evidence_options
@user_errors
def build_command(workbook: Path, evidence: Path, out: Path, stage: str, templates: Path | None,
                  minutes: int, previous: Path | None, allow_incomplete: bool, reissue: bool,
                  change_note: str, attach_as_is: tuple[str, ...], ocr: bool, max_file_size: str,
                  max_bundle_size: str, volume_size: int | None, as_json: bool) -> None:
    """Validate, analyse and write the review's Word documents and PDFs to OUT/<Review ID>/."""
    if not evidence.is_dir():
        raise UserError(f"{evidence}: the evidence folder does not exist.")
    _parent_exists(out, "--out")
    bundle = _bundle_options(attach_as_is, ocr, max_file_size, max_bundle_size, volume_size)
    err = console(stderr=True)

    def options(progress: Callable[[str], None]) -> BuildOptions:
        return BuildOptions(workbook, evidence, out, stage, templates, minutes,  # type: ignore[arg-type]
                            previous, allow_incomplete, progress, bundle=bundle, reissue=reissue,
                            change_note=change_note)

    try:
        with interruptible():  # SIGTERM/SIGINT: staging removed, children killed, exit 143/130
            if err.is_terminal:
                with err.status("building") as status:
                    result = run_build(options(lambda step: status.update(step)))
            else:
                result = run_build(options(lambda step: click.echo(f"[build] {step}", err=True)))
    except BuildRefused as refused:
        if not as_json:
            print_report(refused.report, err)
        raise
    findings = result.findings()
    if as_json:
        click.echo(dumps(envelope("build", findings, folder=str(result.folder), stage=stage,
                                  files=[str(p) for p in result.files], notes=result.messages)))
        return
    _print_findings(findings, err, workbook)
    for path in result.files:
        click.echo(f"wrote {path}")
    for message in result.messages:
        click.echo(message)
    errors = sum(f.severity == "error" for f in findings)
    review_folder = result.folder.parent
    click.echo(f"{stage} pack for {review_folder.name} is in {review_folder / stage} (version "
               f"folder {result.folder.name}): {len(result.files)} file(s); {errors} error(s), "
               f"{len(findings) - errors} warning(s)")


@main.command("check-templates")
@click.argument("folder", type=DirArg, required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@user_errors
def check_templates_command(folder: Path | None, as_json: bool) -> None:
    """Check the Word templates in FOLDER (default: doc_templates/) for broken tags and unknown
    variables. Exit 1 when any problem is found."""
    files = template_files(folder)
    plan, ignored = template_plan(folder), ignored_files(folder)
    problems = check_templates(folder)
    if as_json:
        findings = [*text_findings("template-ignored", ignored),
                    *text_findings("template-problem", problems)]
        click.echo(dumps(envelope("check-templates", findings, templates=[str(p) for p in files],
                                  plan=plan)))
        sys.exit(1 if problems else 0)
    for line in [*plan, *ignored]:
        click.echo(line)
    for line in problems:
        click.echo(line)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(files)} template(s).", err=True)
        sys.exit(1)
    click.echo(f"OK: {len(files)} template(s) checked: {', '.join(p.name for p in files)}")


DateArg = click.DateTime(formats=["%Y-%m-%d"])


@main.command("next")
@click.argument("previous", type=PathArg)
@click.option("--out", "out", type=PathArg, required=True, help="The new workbook (.xlsx).")
@click.option("--review-id", help="ID of the new review (default: the next after the previous).")
@click.option("--period-start", type=DateArg, help="YYYY-MM-DD (default: day after the previous period).")
@click.option("--period-end", type=DateArg, help="YYYY-MM-DD (default: a period of the same length).")
@click.option("--cutoff", type=DateArg, help="YYYY-MM-DD (default: as far before the meeting as last time).")
@click.option("--meeting", type=DateArg, help="YYYY-MM-DD (default: the previous 'Next review date').")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@user_errors
def next_command(previous: Path, out: Path, review_id: str | None, period_start: Any,
                 period_end: Any, cutoff: Any, meeting: Any, force: bool) -> None:
    """Create the next review's workbook from PREVIOUS: decisions and open actions carried into
    'a Previous actions', open nonconformities, risks and metric history kept."""
    if out.exists() and not force:
        raise UserError(f"{out}: already exists; choose another name or add --force.")
    if out.suffix.lower() != ".xlsx":
        raise UserError(f"{out}: the workbook name must end in .xlsx.")
    if out.resolve() == previous.resolve():
        raise UserError(f"{out}: must be a new file; the previous workbook is never changed.")
    data = read_data(previous)
    options = NextReview(review_id, *(d.date() if d else None
                                      for d in (period_start, period_end, cutoff, meeting)))
    review, rows = roll_forward(data, options)
    write_workbook(out, build_workbook(review=review, rows=rows), source_date())
    click.echo(f"wrote {out} for review {review['Review ID']}: {len(rows['a Previous actions'])} "
               "action(s) carried; fill in the emptied inputs, then run isms-review validate "
               f"{out} --previous {previous}")


def _sign_password(sign: Path | None) -> str:
    if sign is None:
        return ""
    password = os.environ.get("ISMS_REVIEW_SIGN_PASSWORD")
    if password is not None:
        return password
    if sys.stdin.isatty():
        return str(click.prompt(f"Password for {sign}", hide_input=True, default="",
                                show_default=False))
    raise UserError(f"{sign}: set ISMS_REVIEW_SIGN_PASSWORD to the key's password (no terminal to ask on).")


@main.command("bundle")
@click.argument("workbook", type=PathArg)
@click.option("--evidence", type=DirArg, required=True, help="The evidence folder.")
@click.option("--out", "out", type=DirArg, required=True, help="Where the per-review folder goes.")
@click.option("--documents", type=DirArg, help="Folder with the agenda, pre-read and minutes PDFs.")
@click.option("--allow-incomplete", is_flag=True,
              help="Build even when evidence is unusable: placeholder pages, marked INCOMPLETE.")
@click.option("--sign", type=click.Path(path_type=Path, dir_okay=False),
              help="Sign the bundle with this PKCS#12 key (password: ISMS_REVIEW_SIGN_PASSWORD).")
@click.option("--json", "as_json", is_flag=True, help="Print the result and every finding as JSON.")
@evidence_options
@user_errors
def bundle_cmd(workbook: Path, evidence: Path, out: Path, documents: Path | None,
               allow_incomplete: bool, sign: Path | None, attach_as_is: tuple[str, ...], ocr: bool,
               max_file_size: str, max_bundle_size: str, volume_size: int | None,
               as_json: bool) -> None:
    """One indexed, stamped PDF of the review's documents and evidence for the auditor."""
    if not evidence.is_dir():
        raise UserError(f"{evidence}: the evidence folder does not exist.")
    _parent_exists(out, "--out")
    if sign is not None and volume_size is not None:
        raise UserError("--sign and --volume-size cannot be used together yet: sign one bundle, "
                        "or sign each volume with `isms-review sign`.")
    options = _bundle_options(attach_as_is, ocr, max_file_size, max_bundle_size, volume_size)
    try:
        result = bundle_command(workbook, evidence, out, documents, allow_incomplete, sign,
                                _sign_password(sign), options)
    except BuildRefused as refused:
        if not as_json:
            print_report(refused.report, console(stderr=True))
        raise
    findings = bundle_findings(result)
    if as_json:
        click.echo(dumps(envelope("bundle", findings, bundle=str(result.path),
                                  manifest=str(result.manifest_path), pages=result.pages,
                                  every_evidence_file_included=result.complete,
                                  sha256=result.sha256,
                                  **_volumes_field(result.volumes))))
        return
    state = ("every listed evidence file included" if result.complete
             else f"INCOMPLETE: {len(result.problems)} evidence file(s) replaced by placeholders")
    if result.volumes:
        click.echo(f"wrote {len(result.volumes)} volumes ({result.pages} pages; {state}): "
                   + ", ".join(str(p) for p in result.volumes) + f" and {result.manifest_path}")
    else:
        click.echo(f"wrote {result.path} ({result.pages} pages; {state}) and {result.manifest_path}")
    for line in result.problems:
        click.echo(f"missing: {line}", err=True)
    for line in result.warnings:
        click.echo(f"check: {line}", err=True)


def _volumes_field(paths: list[Path]) -> dict[str, Any]:
    return {"volumes": [str(p) for p in paths]} if paths else {}


@main.command("verify")
@click.argument("bundle_pdf", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--evidence", type=DirArg, help="Also check every source file's SHA-256.")
@click.option("--trust", "trust", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="A signer's certificate (PEM or DER) you trust, obtained separately from the "
                   "bundle; repeatable. Default: trusted-signers.pem in the folder given with --review "
                   "(never one that merely sits beside the bundle).")
@click.option("--review", "review", type=DirArg,
              help="The review's output folder (issue register, trust file); default: the "
                   "bundle's folder and the one above it.")
@click.option("--pdfa", is_flag=True, help="Also validate the bundle as made against PDF/A-3b.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict and findings as JSON.")
@user_errors
def verify_cmd(bundle_pdf: Path, evidence: Path | None, trust: tuple[Path, ...],
               review: Path | None, pdfa: bool, as_json: bool) -> None:
    """What can be proved about a bundle. Exit 0 intact (signed by a signer you trust, nothing
    changed), 4 unsigned (consistent, but nothing vouches for it), 1 broken."""
    _a_pdf(bundle_pdf)
    result = verify_bundle(bundle_pdf, evidence, trust, review, pdfa)
    if as_json:
        click.echo(result.to_json())
        sys.exit(result.exit_code)
    click.echo(f"file: {bundle_pdf} ({result.pages} pages, {result.revisions} revision(s))"
               if result.readable else f"file: {bundle_pdf} (not readable as a PDF)")
    click.echo(f"SHA-256: {result.sha256}")
    for note in result.notes:
        click.echo(f"note: {note}")
    for problem in result.problems:
        click.echo(f"FAIL: {problem.text()}")
    click.echo(result.summary())
    sys.exit(result.exit_code)


def _a_pdf(path: Path) -> None:
    """A file that is not a PDF at all was given by mistake (the workbook, a Word file, any
    other file not named .pdf): that is said as such, not as a bundle found BROKEN."""
    with path.open("rb") as handle:
        head = handle.read(1024)
    office = head.startswith(b"PK\x03\x04")
    if b"%PDF-" in head or not head or (path.suffix.lower() == ".pdf" and not office):
        return  # a damaged or emptied bundle is for verify to call BROKEN
    what = "an Excel workbook or Word document (a zip file)" if office else "not a PDF"
    raise UserError(f"{path}: is {what}, not a bundle PDF; give the bundle, e.g. "
                    "output/<Review ID>/final/<Review ID>-bundle.pdf.")


@main.command("sign")
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--key", "key", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The approver's PKCS#12 key (password: ISMS_REVIEW_SIGN_PASSWORD, or asked).")
@click.option("--tsa", "tsa", metavar="URL",
              help="RFC 3161 timestamp authority: PAdES B-T (default: ISMS_REVIEW_TSA_URL; "
                   "without one, B-B).")
@user_errors
def sign_cmd(pdf: Path, key: Path, tsa: str | None) -> None:
    """Sign PDF (the final bundle or minutes) as the approver; recorded in the issue register."""
    from .bundle.approve import approve

    signed = approve(pdf, key, _sign_password(key), tsa or os.environ.get("ISMS_REVIEW_TSA_URL"))
    click.echo(f"signed {pdf} as {signed.signer} ({signed.level}, {signed.signed_at}); certificate "
               f"SHA-256 {signed.fingerprint}; file SHA-256 {signed.sha256_after}")


def _now(value: str | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not an ISO date-time, e.g. 2026-12-04T07:00Z",
                                 param_hint="--now") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@main.command("schedule")
@click.argument("schedule_file", type=PathArg)
@click.option("--once", is_flag=True, help="Run whatever is due now and exit (cron, systemd timer).")
@click.option("--list", "list_only", is_flag=True, help="Show each review's due moment and state.")
@click.option("--now", "now_text", help="Pretend it is this ISO date-time (UTC unless an offset is given).")
@user_errors
def schedule_command(schedule_file: Path, once: bool, list_only: bool, now_text: str | None) -> None:
    """Generate each review's pre-read pack when it is due (N business days before the meeting)."""
    from .schedule.config import load_schedule
    from .schedule.loop import all_locks, run_forever
    from .schedule.runner import describe, run_due

    reviews = load_schedule(schedule_file)
    now = _now(now_text)
    if list_only:
        for review in reviews:
            o = describe(review, now)
            due = o.due.strftime("%a %Y-%m-%d %H:%M %Z") if o.due else "unknown"
            version = f" v{o.version}" if o.version else ""
            click.echo(f"{o.review}: due {due}; {o.status}{version} {o.detail}".rstrip())
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        datefmt="%Y-%m-%dT%H:%M:%S%z")
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    if once:
        with interruptible(), all_locks(reviews):  # SIGTERM: the build in progress is stopped
            outcomes = run_due(reviews, now)
        for o in outcomes:
            click.echo(f"{o.review}: {o.status}" + (f" v{o.version}" if o.version else "")
                       + (f" ({o.detail})" if o.detail else ""))
        # a pack nobody received is a failure too, for the cron wrapper watching the exit code
        sys.exit(1 if any(o.status == "failed" or o.delivery_failed for o in outcomes) else 0)
    if now_text is not None:
        raise UserError("--now works with --once or --list only.")
    run_forever(reviews)
