"""The ``margincourse`` command line.

``margincourse liq``            the margin figures and liquidation price of one position
``margincourse tiers``          an exchange's risk-tier table for a symbol
``margincourse make-exercises`` generate exercises/ from solutions/ (``--check``: only compare;
                                ``--variant KEY --out DIR``: a class's variant with other numbers)
``margincourse grade``          grade submissions into a gradebook CSV and feedback files
``margincourse lab``            open JupyterLab on the course's start-here lesson
``margincourse links``          the Binder badge and the JupyterHub (nbgitpuller) link of a copy on GitHub
``margincourse export``         the gradebook as a Canvas, Moodle or plain CSV grade import file
``margincourse report``         per question: mean points, share fully right, the named mistakes; charts and a page
``margincourse start``          copy the lessons and exercises into your own folder and open JupyterLab there
``margincourse doctor``         check the setups that break widgets and figures, and print the fixes
``margincourse site``           every lesson as a static HTML book, offline (extra: margincourse[site])

Every figure comes from the same functions the lessons use.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .engine import formulas
from .basics.errors import MarginInputError, check_positive
from .basics.files import write_atomically
from .basics.formatting import money, percent, usdt
from .engine.specs import contract, exchanges, symbols, tier_table


def liquidation_report(symbol, side, entry, size, leverage, mode, exchange="binance", balance=None, margin=None):
    """The figures ``margincourse liq`` prints, as a dict (also used by the tests)."""
    spec = contract(symbol)
    size = spec.check_size(size)
    entry = check_positive("entry", entry)
    tiers = tier_table(symbol, exchange)
    value = size * entry
    tiers.check_leverage(leverage, value)
    initial = formulas.initial_margin(size, entry, leverage)
    if mode == "isolated":
        if balance is not None:
            raise MarginInputError("balance must not be given in isolated mode: use --margin for the position's margin")
        backing = initial if margin is None else check_positive("margin", margin)
        if backing < initial * (1 - 1e-12):
            raise MarginInputError(f"margin must be at least the initial margin {usdt(initial)}, got {money(backing)}")
    elif mode == "cross":
        if margin is not None:
            raise MarginInputError("margin must not be given in cross mode: use --balance for the cross wallet")
        if balance is None:
            raise MarginInputError("balance must be given in cross mode: the cross wallet balance in USDT")
        backing = check_positive("balance", balance)
        if backing < initial:
            raise MarginInputError(f"balance must cover the initial margin {usdt(initial)}, got {money(backing)}")
    else:
        raise MarginInputError(f"mode must be 'isolated' or 'cross', got {mode!r}")
    tier = tiers.tier_for(value)
    rate = tier.mmr + tiers.maintenance_fee_rate
    lp = formulas.liquidation_price_for_tiers(side, entry, size, backing, tiers)
    bp = formulas.bankruptcy_price(side, entry, size, backing)
    return {
        "symbol": symbol,
        "side": side,
        "mode": mode,
        "exchange": tiers.exchange_name,
        "tiers_as_of": tiers.as_of,
        "size": size,
        "base": spec.base,
        "entry_price": entry,
        "leverage": float(leverage),
        "notional": value,
        "initial_margin": initial,
        "collateral": backing,
        "tier": tier.tier,
        "maintenance_margin_rate": rate,
        "maintenance_amount": tier.maintenance_amount,
        "maintenance_margin_at_entry": formulas.maintenance_margin(size, entry, rate, tier.maintenance_amount),
        "liquidation_price": lp,
        "liquidation_price_on_tick": formulas.round_to_tick(lp, spec.tick_size) if lp > 0 else None,
        "move_to_liquidation": lp / entry - 1 if lp > 0 else None,
        "bankruptcy_price": bp,
    }


def _make_variant(args, out) -> int:
    """``make-exercises --variant KEY --out DIR``: the class's variant, and how to grade it."""
    from .grading.authoring import answer_sheet, generate_variant

    if args.out is None:
        raise MarginInputError("out (--out) must name a folder for the variant's notebooks when --variant is given")
    if args.check:
        raise MarginInputError("check (--check) compares the published exercises with the solutions; "
                               "it cannot be combined with --variant")
    source = args.exercises
    if source is None:
        source = Path("exercises")
        if not source.is_dir():
            from .delivery.workspace import shipped_course

            source = shipped_course() / "exercises"
    if args.answers is not None and args.out.resolve() in args.answers.resolve().parents:
        raise MarginInputError(f"answers (--answers) must be outside --out, which students receive, got {args.answers}")
    made = generate_variant(source, args.out, args.variant)
    for name, info in made.items():
        counts = {kind: list(info["changes"].values()).count(kind) for kind in ("numbers", "letters", "nothing")}
        print(f"{name}: variant {info['seed']}: new numbers in {counts['numbers']}, new letters in "
              f"{counts['letters']}, unchanged {counts['nothing']} (functions and fixed facts)", file=out)
    if args.answers is not None:
        write_atomically(args.answers, answer_sheet(args.variant, list(made)))
        print(f"answers: {args.answers} (keep it private)", file=out)
    print(f"hand out {args.out}/ and grade with: margincourse grade SUBMISSIONS --exercises {args.out} --out grades.csv",
          file=out)
    return 0


def _print_liq(report, out):
    r = report
    lines = [
        f"{r['symbol']} {r['side']}, {r['mode']}, {r['leverage']:g}x on {r['exchange']} (tiers as of {r['tiers_as_of']})",
        f"  size                     {r['size']:g} {r['base']}",
        f"  entry price              {usdt(r['entry_price'])}",
        f"  notional                 {usdt(r['notional'])}",
        f"  initial margin           {usdt(r['initial_margin'])}  (notional / leverage)",
        f"  collateral behind it     {usdt(r['collateral'])}  "
        + ("(isolated margin)" if r["mode"] == "isolated" else "(cross wallet balance)"),
        f"  risk tier                {r['tier']}: maintenance rate {percent(r['maintenance_margin_rate'])}, "
        f"maintenance amount {usdt(r['maintenance_amount'])}",
        f"  maintenance margin       {usdt(r['maintenance_margin_at_entry'])}  (at the entry price)",
    ]
    if r["liquidation_price"] > 0:
        lines.append(
            f"  liquidation price        {usdt(r['liquidation_price'])}  "
            f"({percent(r['move_to_liquidation'], sign=True)} from entry; {money(r['liquidation_price_on_tick'])} on the tick)"
        )
    else:
        lines.append("  liquidation price        none: the price would have to fall below zero")
    if r["bankruptcy_price"] > 0:
        lines.append(f"  bankruptcy price         {usdt(r['bankruptcy_price'])}  (collateral used up)")
    else:
        lines.append("  bankruptcy price         none: the collateral covers a fall to zero")
    print("\n".join(lines), file=out)


def _print_tiers(table, out):
    print(f"{table.symbol} risk tiers on {table.exchange_name}, as of {table.as_of}", file=out)
    print(f"source: {table.source}", file=out)
    print(f"{'tier':>4}  {'notional from':>15}  {'notional to':>15}  {'max lev':>7}  {'MMR':>7}  {'maint. amount':>14}", file=out)
    for t in table.tiers:
        print(
            f"{t.tier:>4}  {t.floor:>15,.0f}  {t.cap:>15,.0f}  {t.max_leverage:>6g}x  {t.mmr * 100:>6.2f}%  {t.maintenance_amount:>14,.2f}",
            file=out,
        )
    if table.maintenance_fee_rate:
        print(f"(plus a fee rate of {percent(table.maintenance_fee_rate)} added to every maintenance rate)", file=out)


def _add_make_exercises(sub) -> None:
    """The ``make-exercises`` command's options."""
    make = sub.add_parser("make-exercises", help="generate the exercise notebooks from the solution notebooks")
    make.add_argument("--solutions", type=Path, default=Path("solutions"))
    make.add_argument("--exercises", type=Path, default=None,
                      help="the exercises folder (default: exercises; with --variant: the published exercises "
                           "to deal from, default exercises/ here, else the course's own)")
    make.add_argument("--check", action="store_true", help="write nothing; fail if an exercise is out of date")
    make.add_argument("--variant", default=None, metavar="KEY",
                      help="write a per-class variant (other numbers, other letters) dealt from KEY, a private "
                           "text of 4+ characters, into --out; grade it with --exercises pointing there")
    make.add_argument("--out", type=Path, default=None, help="with --variant: the folder for the variant's notebooks")
    make.add_argument("--answers", type=Path, default=None,
                      help="with --variant: also write the variant's answers to this Markdown file (keep it private)")


def build_parser():
    parser = argparse.ArgumentParser(prog="margincourse", description="Margin math of USDT-margined futures.")
    sub = parser.add_subparsers(dest="command", required=True)

    liq = sub.add_parser("liq", help="liquidation price and margin figures of one position")
    liq.add_argument("--symbol", default="BTCUSDT", choices=symbols())
    liq.add_argument("--side", required=True, choices=("long", "short"))
    liq.add_argument("--entry", required=True, type=float, help="entry price in USDT")
    liq.add_argument("--size", required=True, type=float, help="size in the base asset, e.g. 0.01 BTC")
    liq.add_argument("--leverage", required=True, type=float)
    liq.add_argument("--mode", default="isolated", choices=("isolated", "cross"))
    liq.add_argument("--margin", type=float, help="isolated margin in USDT (default: the initial margin)")
    liq.add_argument("--balance", type=float, help="cross wallet balance in USDT (cross mode)")
    liq.add_argument("--exchange", default="binance", choices=exchanges())
    liq.add_argument("--json", action="store_true", help="print the figures as JSON")

    tiers = sub.add_parser("tiers", help="an exchange's risk-tier table")
    tiers.add_argument("symbol", nargs="?", default="BTCUSDT", choices=symbols())
    tiers.add_argument("--exchange", default="binance", choices=exchanges())

    _add_make_exercises(sub)

    grade = sub.add_parser("grade", help="grade exercise submissions into a gradebook")
    grade.add_argument("submissions", nargs="+", help="notebooks, or folders of notebooks")
    grade.add_argument("--out", type=Path, required=True, help="the gradebook CSV to write")
    grade.add_argument("--exercises", type=Path, default=None,
                       help="the instructor's exercises folder (points per question); default: the course's")
    grade.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: cores)")
    grade.add_argument("--cell-timeout", type=int, default=30, help="seconds per cell")
    grade.add_argument("--timeout", type=int, default=300, help="seconds per submission")
    grade.add_argument("--max-output", type=int, default=100_000, help="bytes of output kept per cell")
    grade.add_argument("--feedback", type=Path, default=None, help="folder for feedback files")
    grade.add_argument("--sandbox", choices=("auto", "on", "off"), default="auto",
                       help="run each kernel in a bubblewrap sandbox: no network, read-only system "
                            "(auto: when bwrap works here; on: refuse to grade without it)")
    grade.add_argument("--memory-limit", type=int, default=None, metavar="MIB",
                       help="memory limit of each sandboxed kernel in MiB (default 4096)")
    grade.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="grade on a Dask cluster, e.g. tcp://host:8786 (pip install \"margincourse[distributed]\")")
    grade.add_argument("--variant", default=None, metavar="KEY",
                       help="the key of make-exercises --variant: checks that --exercises holds that variant "
                            "(the grader always judges the variant --exercises holds)")
    grade.add_argument("--regrade", action="store_true",
                       help="grade every submission again (default: skip those graded unchanged before)")
    grade.add_argument("--pattern", default=None, metavar="PATTERN",
                       help='how file names carry the student, e.g. "{student}_{notebook}.ipynb"')
    grade.add_argument("--roster", type=Path, default=None,
                       help="CSV with id,name,email,section: names, and missing students get 0")
    grade.add_argument("--due", default=None, metavar="ISO-TIME", help="due date and time, e.g. 2026-12-01T17:00Z")
    grade.add_argument("--late-penalty", type=float, default=0.0, metavar="FRACTION",
                       help="points lost per started day late, as a fraction (0.1: 10 %% a day)")
    grade.add_argument("--overrides", type=Path, default=None,
                       help="CSV with student,question,points,comment: manual changes, kept with who and when")
    export = sub.add_parser("export", help="the gradebook in Canvas's or Moodle's grade import layout")
    export.add_argument("gradebook", type=Path, help="the gradebook CSV that grade wrote, or the .sqlite beside it")
    export.add_argument("--format", required=True, choices=("canvas", "moodle", "csv"))
    export.add_argument("--out", type=Path, default=None, help="the file to write (default: GRADEBOOK-FORMAT.csv)")
    export.add_argument("--assignment-id", action="append", default=[], metavar="EXERCISE=ID",
                        help="Canvas: the assignment's id in Canvas for an exercise (repeatable)")
    export.add_argument("--identifier", choices=("idnumber", "email"), default="idnumber",
                        help="Moodle: the column that finds the user (ID number, or e-mail from the roster)")

    report = sub.add_parser("report", help="per-question statistics, named mistakes and charts of a graded class")
    report.add_argument("gradebook", type=Path, help="the gradebook CSV that grade wrote, or the .sqlite beside it")
    report.add_argument("--out", type=Path, default=None, help="the folder to write (default: GRADEBOOK-report/)")

    lab = sub.add_parser("lab", help="open JupyterLab on the course's start-here lesson")
    lab.add_argument("--course", type=Path, default=None, help="the course folder (default: found from here)")
    lab.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    lab.add_argument("lab_args", nargs=argparse.REMAINDER, help="further arguments for jupyter lab")

    start = sub.add_parser("start", help="copy the course into your own folder and open JupyterLab there")
    start.add_argument("folder", nargs="?", type=Path, default=Path("margincourse-course"),
                       help="your course folder (default: ./margincourse-course); made if missing")
    start.add_argument("--reset", metavar="NOTEBOOK", default=None,
                       help="restore the course's copy of one notebook (yours is kept in backups/ first)")
    start.add_argument("--no-browser", action="store_true", help="only prepare the folder; do not open JupyterLab")
    sub.add_parser("doctor", help="check the kernel, widget versions, matplotlib backend and JupyterLab")
    site = sub.add_parser("site", help="build every lesson as a static HTML book (needs margincourse[site])")
    site.add_argument("out", type=Path, help="the folder to write the book into (new, empty, or an earlier site)")

    links = sub.add_parser("links", help="the Binder badge and nbgitpuller link of the course on GitHub")
    links.add_argument("--repo", default=None,
                       help="owner/name or the GitHub URL of the course (default: the origin remote)")
    links.add_argument("--branch", default="main", help="the branch to open (default: main)")
    links.add_argument("--hub", default=None, help="your JupyterHub's address, for the nbgitpuller link")
    links.add_argument("--path", default=None, help="the notebook to open (default: the start-here lesson)")
    links.add_argument("--update-readme", type=Path, default=None, metavar="README",
                       help="also put the Binder badge under this README's title (replacing an older badge)")
    return parser


def course_folder(start=None) -> Path:
    """The course folder: the first of ``start``, its parents and the package's repository with notebooks/."""
    candidates = []
    if start is not None:
        candidates.append(Path(start))
    here = Path.cwd()
    candidates += [here, *here.parents, Path(__file__).resolve().parent.parent]
    for folder in candidates:
        if (folder / "notebooks" / START_HERE).is_file():
            return folder.resolve()
    raise MarginInputError(
        f"course must be a folder holding notebooks/{START_HERE}; run this inside the course or pass --course "
        f"(installed without a clone? margincourse start copies the course into a folder of your own)"
    )


START_HERE = "00_start_here.ipynb"


def lab_command(course: Path, extra=()) -> list:
    """The JupyterLab command that opens the start-here lesson with the course folder as its root."""
    return [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={course}",
            str(Path("notebooks") / START_HERE), *extra]


def _cluster_runner(scheduler):
    """The grader's runner for ``--scheduler`` (grading on a Dask cluster), or None: this machine."""
    if scheduler is None:
        return None
    import functools

    from .grading.cluster import grade_jobs

    return functools.partial(grade_jobs, scheduler)


def _course_exercises():
    """The course's own exercise notebooks: in the wheel's course files, else the checkout's."""
    from .delivery.workspace import shipped_course

    try:
        return shipped_course() / "exercises"
    except MarginInputError:
        return Path("exercises")


def _print_links(args, out):
    from .course import links

    course = course_folder()
    repo = args.repo
    if repo is None:
        repo = links.origin_repository(course)
        if repo is None:
            raise MarginInputError(
                "repo must be given as --repo owner/name: this copy of the course has no origin remote on GitHub")
    path = args.path or links.START_HERE
    if not (course / str(path)).is_file():
        raise MarginInputError(f"path must be a notebook of the course such as {links.START_HERE}, got {path!r}")
    badge = links.binder_badge(repo, args.branch, path)
    print(f"Binder link:       {links.binder_url(repo, args.branch, path)}", file=out)
    print(f"README badge:      {badge}", file=out)
    if args.hub is not None:
        print(f"JupyterHub link:   {links.nbgitpuller_url(args.hub, repo, args.branch, path)}", file=out)
    if args.update_readme is not None:
        try:
            text = args.update_readme.read_text(encoding="utf-8")
        except OSError as error:
            raise MarginInputError(f"update-readme must be a readable file, got {str(args.update_readme)!r}: "
                                   f"{error.strerror}") from None
        updated = links.readme_with_badge(text, badge)
        if updated != text:
            write_atomically(args.update_readme, updated)
        print(f"badge written to {args.update_readme}", file=out)


def _start(args, out):
    from .delivery import workspace

    if args.reset is not None:
        relative, backup = workspace.reset_notebook(args.folder, args.reset)
        kept = f"; your copy is kept as {backup}" if backup else ""
        print(f"restored {relative} from the course{kept}", file=out)
    report = workspace.prepare_workspace(args.folder)
    print(report.summary(), file=out)
    command = lab_command(report.workspace)
    if args.no_browser:
        print(f"open it with: margincourse lab --course {report.workspace}", file=out)
        return 0
    import subprocess

    return subprocess.call(command, cwd=report.workspace)


def main(argv=None, out=None):
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        if args.command == "liq":
            report = liquidation_report(
                args.symbol, args.side, args.entry, args.size, args.leverage, args.mode,
                exchange=args.exchange, balance=args.balance, margin=args.margin,
            )
            if args.json:
                print(json.dumps(report, indent=2), file=out)
            else:
                _print_liq(report, out)
        elif args.command == "tiers":
            _print_tiers(tier_table(args.symbol, args.exchange), out)
        elif args.command == "make-exercises" and args.variant is not None:
            return _make_variant(args, out)
        elif args.command == "make-exercises":
            from .grading.authoring import generate

            names = generate(args.solutions, args.exercises or Path("exercises"), check_only=args.check)
            if args.check:
                if names:
                    print("out of date (run margincourse make-exercises): " + ", ".join(names), file=out)
                    return 1
                print("all exercise notebooks are up to date", file=out)
            else:
                print("generated: " + ", ".join(names), file=out)
        elif args.command == "lab":
            course = course_folder(args.course)
            command = lab_command(course, [a for a in args.lab_args if a != "--"])
            if args.dry_run:
                print(" ".join(command), file=out)
                return 0
            import subprocess

            return subprocess.call(command, cwd=course)
        elif args.command == "export":
            from .grading import export

            text = export.export_text(export.load_totals(args.gradebook), args.format,
                                      assignment_ids=export.parse_assignment_ids(args.assignment_id),
                                      identifier=args.identifier)
            target = args.out or export.default_export_path(args.gradebook, args.format)
            write_atomically(target, text)
            print(f"{args.format} export written to {target}", file=out)
        elif args.command == "report":
            from .grading.report import report_for

            print(f"class report written to {report_for(args.gradebook, args.out)}", file=out)
        elif args.command == "links":
            _print_links(args, out)
        elif args.command == "start":
            return _start(args, out)
        elif args.command == "doctor":
            from .delivery import doctor

            text, status = doctor.report(doctor.examine())
            print(text, file=out)
            return status
        elif args.command == "site":
            from .delivery.site import build_site

            built = build_site(args.out)
            print(f"{len(built.pages)} pages ({built.dashboards} dashboards shown as their figures) built in "
                  f"{built.seconds:.0f} s: open {built.out / 'index.html'}", file=out)
        elif args.command == "grade":
            from .grading.grader import grade

            if args.jobs is not None and args.jobs < 1:
                raise MarginInputError(f"jobs must be at least 1, got {args.jobs}")
            results = grade(args.submissions, args.out, exercises_dir=args.exercises or _course_exercises(),
                            jobs=args.jobs, cell_timeout=args.cell_timeout, total_timeout=args.timeout,
                            max_output_bytes=args.max_output, feedback_dir=args.feedback,
                            sandbox=args.sandbox, memory_mb=args.memory_limit, regrade=args.regrade,
                            pattern=args.pattern, roster=args.roster, due=args.due, late_penalty=args.late_penalty,
                            overrides=args.overrides, runner=_cluster_runner(args.scheduler),
                            variant_key=args.variant)
            counts = {}
            for r in results:
                counts[r.status] = counts.get(r.status, 0) + 1
            skipped = sum(r.skipped for r in results)
            print(f"{len(results)} submissions: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
                  + (f" ({skipped} unchanged since the last run, not graded again)" if skipped else "")
                  + f"; gradebook written to {args.out} (database {args.out.with_suffix('.sqlite')})", file=out)
    except MarginInputError as error:
        print(f"margincourse: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
