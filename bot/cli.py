"""The `pathfinder` command line: ask, chat, serve, catalogue, eval, and the operator's tools
for the interest log (db, coordinators, interests, audit, retention)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine

from bot import app, learned_training
from bot.advice.advisor import advise
from bot.answering.conversation import Conversation
from bot.answering.service import Pathfinder
from bot.app import ready_engine
from bot.catalogue.loader import (
    LEARNED_SCREEN,
    CatalogueError,
    defunct_links,
    load_catalogue,
    overdue,
    read_catalogue,
    stale_statuses,
    uncertain_facts,
)
from bot.catalogue.snapshot import CatalogueCache
from bot.catalogue.vocabulary import REGIONS
from bot.db import DatabaseBusy, current_revision, make_engine, migrate, write_session
from bot.evaluation import (
    CaseFileError,
    format_reading,
    format_report,
    read_cases,
    run_eval,
    run_reading_eval,
)
from bot.interests import log as interest_log
from bot.interests.access import (
    Actor,
    Denied,
    canonical_region,
    grant_role,
    list_roles,
    read_audit,
    revoke_role,
)
from bot.interests.display import audit_csv, printable
from bot.interests.rights import retention_periods, retention_run
from bot.interests.tables import RoleName, Status
from bot.observability import logs
from bot.settings import Settings, SettingsError

EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_BUSY = 75  # sysexits EX_TEMPFAIL: the database stayed locked; nothing was written, try again


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `pathfinder` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except (SettingsError, ValidationError) as exc:
        print(f"pathfinder: configuration error: {_first_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    logs.configure(settings.log_level)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.handler(args, settings))
    except CatalogueError as exc:
        print(f"pathfinder: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except Denied as exc:
        print(f"pathfinder: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except DatabaseBusy as exc:
        print(f"pathfinder: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except KeyboardInterrupt:
        return 130


def _first_line(exc: Exception) -> str:
    """A settings error without input values (pydantic echoes them; secrets must not be)."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}"
            for e in exc.errors(include_input=False)
        )
    return str(exc)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pathfinder",
        description="Find NHS routes into digital, data and AI work, from a reviewed catalogue.",
    )
    sub = parser.add_subparsers(dest="command")

    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    ask.add_argument("--today", type=date.fromisoformat, help=argparse.SUPPRESS)
    ask.set_defaults(handler=_ask)

    demo = sub.add_parser(
        "demo", help="answer a few sample questions, then show how to ask your own"
    )
    demo.set_defaults(handler=_demo)

    chat = sub.add_parser("chat", help="an interactive session in the terminal")
    chat.set_defaults(handler=_chat)

    serve = sub.add_parser(
        "serve", help="run the Slack app (Socket Mode if SLACK_APP_TOKEN is set)"
    )
    serve.add_argument(
        "--http",
        action="store_true",
        help="HTTP mode (gunicorn): POST /slack/events; GET /livez, /readyz, /metrics",
    )
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--host", default="0.0.0.0")
    serve.set_defaults(handler=_serve)

    worker = sub.add_parser(
        "worker", help="PostgreSQL: answer the questions `serve` queues (PATHFINDER_WORKERS threads)"
    )
    worker.set_defaults(handler=_worker)

    catalogue = sub.add_parser("catalogue", help="check or load the catalogue in knowledge/")
    csub = catalogue.add_subparsers(dest="action")
    check = csub.add_parser(
        "check", help="validate the files; list overdue reviews and uncertain facts"
    )
    check.add_argument(
        "--today", type=date.fromisoformat, default=None, help="date to check review dates against"
    )
    check.set_defaults(handler=_catalogue_check)
    listing = csub.add_parser("list", help="every programme: id, name, status and review date")
    listing.set_defaults(handler=_catalogue_list)
    load = csub.add_parser("load", help="load the catalogue into the database (idempotent)")
    load.set_defaults(handler=_catalogue_load)

    ev = sub.add_parser("eval", help="score the advisor on a JSONL file of cases")
    ev.add_argument("cases", type=Path)
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument(
        "--compare",
        action="store_true",
        help="also run the offline responder and report both (with PATHFINDER_LLM=openai)",
    )
    ev.add_argument("--today", type=date.fromisoformat, help=argparse.SUPPRESS)
    ev.set_defaults(handler=_eval)
    er = sub.add_parser(
        "eval-reading",
        help="per-field accuracy of the profile reader and the refusal screen on labelled sentences",
    )
    er.add_argument("files", type=Path, nargs="+")
    er.add_argument("--json", action="store_true", help="print the report as JSON")
    er.add_argument(
        "--compare",
        action="store_true",
        help="also report the rules' reading alone (with PATHFINDER_LLM_READER=true)",
    )
    er.add_argument("--today", type=date.fromisoformat, help=argparse.SUPPRESS)
    er.set_defaults(handler=_eval_reading)
    screen = sub.add_parser("screen", help="train or judge the learned refusal screen")
    ssub = screen.add_subparsers(dest="action", required=True)
    tr = ssub.add_parser("train", help="train on the labelled corpora; write knowledge/vocabulary/learned_screen.json")
    tr.add_argument(
        "files", type=Path, nargs="*",
        help="default: tests/data/*.jsonl, evals/cases/*.jsonl and the example pairs in knowledge/vocabulary/refusals.yaml",
    )  # fmt: skip
    tr.set_defaults(handler=_screen_train)
    se = ssub.add_parser("eval", help="hold out each unseen set in turn, train on the rest, test on it")
    se.add_argument("files", type=Path, nargs="*", help="default: as for train")
    se.add_argument("--today", type=date.fromisoformat, help=argparse.SUPPRESS)
    se.set_defaults(handler=_screen_eval)
    _operator_commands(sub)
    return parser


def _operator_commands(sub: Any) -> None:
    db = sub.add_parser("db", help="the database schema (Alembic migrations)")
    dsub = db.add_subparsers(dest="action")
    dsub.add_parser(
        "upgrade", help="apply every pending migration (also done on start-up)"
    ).set_defaults(handler=_db_upgrade)
    dsub.add_parser("current", help="print the schema revision in force").set_defaults(
        handler=_db_current
    )

    roles = sub.add_parser("coordinators", help="who may review the interest log (audited)")
    rsub = roles.add_subparsers(dest="action")
    add = rsub.add_parser("add", help="grant a role: coordinator of a region, admin or governance")
    add.add_argument("team_id", help="Slack team id, e.g. T0123ABCD")
    add.add_argument("user_id", help="Slack user id, e.g. U0123ABCD")
    add.add_argument("--region", help="for coordinators: the NHS England region, e.g. 'North West'")
    add.add_argument(
        "--role", choices=[r.value for r in RoleName], default=RoleName.COORDINATOR.value
    )
    add.set_defaults(handler=_roles_add)
    remove = rsub.add_parser("remove", help="remove a person's roles (or one role or region)")
    remove.add_argument("team_id")
    remove.add_argument("user_id")
    remove.add_argument("--region")
    remove.add_argument("--role", choices=[r.value for r in RoleName])
    remove.set_defaults(handler=_roles_remove)
    rsub.add_parser("list", help="everyone's roles").set_defaults(handler=_roles_list)

    interests = sub.add_parser("interests", help="a region's interest log (audited)")
    isub = interests.add_subparsers(dest="action")
    for name, helptext in (
        ("list", "print the region's queue"),
        ("export", "the region's whole log"),
    ):
        cmd = isub.add_parser(name, help=helptext)
        cmd.add_argument("--region", required=True, help="an NHS England region, e.g. 'North West'")
        fmt = cmd.add_mutually_exclusive_group()
        fmt.add_argument("--json", action="store_true")
        fmt.add_argument("--csv", action="store_true")
        if name == "list":
            cmd.add_argument("--status", choices=[s.value for s in Status])
            cmd.add_argument("--programme")
            cmd.add_argument("--limit", type=_positive, default=500, help="at most this many (500)")
        cmd.set_defaults(handler=_interests, export=name == "export")

    aud = sub.add_parser("audit", help="the audit log (information governance)")
    asub = aud.add_subparsers(dest="action")
    alist = asub.add_parser("list", help="newest entries first")
    alist.add_argument("--days", type=int, default=30, help="how far back (default 30 days)")
    alist.add_argument("--action", dest="audit_action", help="only this action, e.g. export")
    shape = alist.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true")
    shape.add_argument("--csv", action="store_true", help="every column, as the Slack export")
    alist.add_argument("--limit", type=_positive, default=500, help="one page of this many (500)")
    alist.add_argument(
        "--before", type=int, help="the page before this entry id (from the last page)"
    )
    alist.add_argument("--all", action="store_true", help="every entry asked for, in one go")
    alist.set_defaults(handler=_audit_list)

    ret = sub.add_parser("retention", help="delete data past its retention period")
    tsub = ret.add_subparsers(dest="action")
    run = tsub.add_parser(
        "run", help="run once, by the real clock (schedule it daily, e.g. from cron)"
    )
    run.set_defaults(handler=_retention_run)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _service(
    args: argparse.Namespace, settings: Settings, engine: Engine | None = None
) -> Pathfinder:
    today = getattr(args, "today", None)
    return app.build(
        settings, engine=engine, today=(lambda: today) if today else None
    ).pathfinder


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    answer = _service(args, settings).ask(args.question)
    if args.json:
        print(answer.model_dump_json(indent=2))
    else:
        print(answer.answer)
    return 0


DEMO_QUESTIONS = [
    "I'm an ST4 radiology registrar in London and want hands-on experience deploying AI in real hospital workflows.",
    "Band 6 nurse in Harrogate, keen to move into informatics. Where do I start?",
    "I'm a nurse in Cardiff - which ISDN should I join?",
    "How much protected time does FPT give, and does it make training longer?",
]


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(args, settings)
    for question in DEMO_QUESTIONS:
        print("=" * 100)
        print(f"Q: {question}\n")
        print(service.ask(question).answer)
    print("=" * 100)
    print(
        "Ask your own question:\n"
        '  .venv/bin/pathfinder ask "I\'m a band 7 physio in Truro and want protected time for a digital project"\n'
        '  .venv/bin/pathfinder ask --json "..."      # the structured answer\n'
        "  .venv/bin/pathfinder chat                  # a conversation in the terminal\n"
        "  .venv/bin/pathfinder catalogue check       # validate knowledge/, list overdue reviews and uncertain facts\n"
        "  .venv/bin/pathfinder eval ../shared/eval/dev_cases.jsonl"
    )
    return 0


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(args, settings)
    print("Pathfinder: ask me about NHS routes into digital, data and AI work.")
    print(
        "Tell me your profession, grade or band, and where you work. Type 'reset' to start again, 'quit' to leave.\n"
    )
    conversation = Conversation()
    while True:
        try:
            question = input("you> ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            continue
        if question.lower() in ("quit", "exit", "bye"):
            return 0
        if question.lower() == "reset":
            conversation = Conversation()
            print("pathfinder> Starting again: tell me about yourself.\n")
            continue
        answer = service.ask(question, conversation=conversation)
        print(f"pathfinder> {answer.answer}\n")


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    socket_mode = settings.slack_app_token is not None and not args.http
    try:
        settings.require_slack(socket_mode=socket_mode)
    except SettingsError as exc:
        print(f"pathfinder: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return app.serve(
        settings,
        socket_mode=socket_mode,
        host=args.host,
        port=args.port,
        say=lambda line: print(f"pathfinder: {line}", file=sys.stderr),
    )


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.slack_bot_token or not settings.slack_bot_token.get_secret_value().startswith("xoxb-"):  # fmt: skip
        print("pathfinder: configuration error: SLACK_BOT_TOKEN (a bot token starting xoxb-)", file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    try:
        left = app.worker(app.build(settings), say=lambda line: print(f"pathfinder: {line}", file=sys.stderr))  # fmt: skip
    except ValueError as exc:
        print(f"pathfinder: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if left:
        # Their jobs are back on the queue; their threads would hold the interpreter open.
        print(f"pathfinder: {left} answer(s) unfinished after the drain went back on the queue", file=sys.stderr)  # fmt: skip
        logging.shutdown()
        os._exit(0)
    return 0


def _catalogue_check(args: argparse.Namespace, settings: Settings) -> int:
    bundle = read_catalogue(settings.knowledge_dir)
    today = args.today or date.today()
    regions = sorted(n.region for n in bundle.networks.networks if n.region)
    print(
        f"catalogue OK: {len(bundle.programmes)} programmes, {len(bundle.networks.networks)} networks "
        f"({len(regions)} with a region), version {bundle.version}"
    )
    late = overdue(bundle, today)
    if late:
        print(f"past review_due on {today.isoformat()} ({len(late)}):")
        for name, due in late:
            print(f"  - {name}: due {due.isoformat()}")
    else:
        print(f"past review_due on {today.isoformat()}: none")
    stale = stale_statuses(bundle, today)
    months = bundle.review.status_stale_after_months
    print(f"status older than {months} months ({len(stale)}): re-check whether they still run")
    for pid, state, as_of in stale:
        print(f"  - {pid}: {state} as of {as_of.isoformat()}")
    states: dict[str, int] = {}
    for p in bundle.programmes:
        states[p.status.state] = states.get(p.status.state, 0) + 1
    print("status: " + ", ".join(f"{n} {state}" for state, n in sorted(states.items())))
    links = defunct_links(bundle)
    print(f"check this link: sources on the domain of a body that no longer exists ({len(links)}):")
    for pid, url, body in links:
        print(f"  - {pid}: {url} [{body}]")
    unsure = uncertain_facts(bundle)
    print(f"facts marked uncertain ({len(unsure)}):")
    for pid, topic, why in unsure:
        print(f"  - {pid}.{topic}: {why}")
    unverified = [n.id for n in bundle.networks.networks if not n.verified]
    print(f"networks not verified ({len(unverified)}): {', '.join(unverified)}")
    return 0


def _catalogue_list(args: argparse.Namespace, settings: Settings) -> int:
    bundle = read_catalogue(settings.knowledge_dir)
    for p in sorted(bundle.programmes, key=lambda p: p.name.lower()):
        print(f"{p.id}\t{p.name}\t{p.status.state}\t{p.last_reviewed.isoformat()}")
    return 0


def _catalogue_load(args: argparse.Namespace, settings: Settings) -> int:
    bundle = read_catalogue(settings.knowledge_dir)
    engine = make_engine(settings.database_url)
    migrate(engine)
    with write_session(engine) as session:
        report = load_catalogue(bundle, session=session, use_geonames=settings.use_geonames)
    if report.changed:
        print(
            f"loaded catalogue {report.version}: {report.programmes} programmes, "
            f"{report.networks} networks, {report.places} places, {report.removed} removed"
        )
    else:
        print(f"catalogue {report.version} already loaded: nothing to do")
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    try:
        cases = read_cases(args.cases)
    except (OSError, CaseFileError) as exc:
        print(f"pathfinder: {exc}", file=sys.stderr)
        return EXIT_USAGE
    engine = ready_engine(settings)
    configured = _service(args, settings, engine)
    services = [configured]
    if args.compare and configured.responder.name != "offline":
        services.insert(0, _service(args, settings.model_copy(update={"llm": "offline"}), engine))
    catalogue = CatalogueCache(engine).get()
    try:
        reports = [run_eval(cases, ask=s.ask, catalogue=catalogue) for s in services]
    except CaseFileError as exc:
        print(f"pathfinder: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        payload = [r.model_dump() for r in reports]
        print(json.dumps(payload if len(payload) > 1 else payload[0], indent=2))
    else:
        print("\n\n".join(format_report(r) for r in reports))
    return 0


def _eval_reading(args: argparse.Namespace, settings: Settings) -> int:
    lines: list[dict[str, object]] = []
    for path in args.files:
        try:
            lines += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, json.JSONDecodeError) as exc:
            print(f"pathfinder: {path}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    engine = ready_engine(settings)
    catalogue = CatalogueCache(engine).get()
    today = args.today or date.today()
    service = _service(args, settings, engine)
    reports = []
    if service.reader is None or args.compare:  # the rules alone
        reports.append(run_reading_eval(lines, catalogue=catalogue, today=today))
    if service.reader is not None:  # and merged with the model's second reading
        reports.append(run_reading_eval(
            lines, catalogue=catalogue, today=today, read=lambda text: service.second_reading(text, catalogue)
        ))  # fmt: skip
    if args.json:
        payload = [r.model_dump() for r in reports]
        print(json.dumps(payload if len(payload) > 1 else payload[0], indent=2))
    else:
        print("\n\n".join(format_reading(r) for r in reports))
    return 0


def _corpus_files(args: argparse.Namespace) -> list[Path]:
    return list(args.files) or learned_training.default_corpora(Path.cwd())


def _screen_train(args: argparse.Namespace, settings: Settings) -> int:
    files = _corpus_files(args)
    if not files:
        print("pathfinder: no corpora found (run from the repository, or name the files)", file=sys.stderr)
        return EXIT_USAGE
    try:
        trained = learned_training.train_file(files, Path.cwd(), today=date.today())
    except (OSError, ValueError) as exc:
        print(f"pathfinder: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out = settings.knowledge_dir / "vocabulary" / LEARNED_SCREEN
    out.write_text(json.dumps(trained.model_dump(mode="json"), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"trained on {trained.examples} examples from {len(files)} files: {len(trained.weights)} weights -> {out}")
    print("run `pathfinder catalogue load` to use it")
    return 0


def _screen_eval(args: argparse.Namespace, settings: Settings) -> int:
    files = _corpus_files(args)
    # The rules alone, as the advisor applies them (a soft refusal it lifts is no refusal): the
    # model under test is trained afresh for each held-out set.
    rules_only = dataclasses.replace(CatalogueCache(ready_engine(settings)).get(), learned=None)
    today = args.today or date.today()
    results = learned_training.held_out(
        files, rules=lambda text: advise(text, catalogue=rules_only, today=today).refusal is not None,
        progress=lambda group: print(f"training without {group}...", file=sys.stderr),
    )  # fmt: skip
    print(learned_training.format_held_out(results))
    return 0


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    before = current_revision(engine)
    after = migrate(engine)
    print(f"schema at {after}" + ("" if before == after else f" (was {before or 'empty'})"))
    return 0


def _db_current(args: argparse.Namespace, settings: Settings) -> int:
    print(
        current_revision(make_engine(settings.database_url)) or "empty (run: pathfinder db upgrade)"
    )
    return 0


def _operator_engine(settings: Settings) -> Engine:
    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine


def _roles_add(args: argparse.Namespace, settings: Settings) -> int:
    engine = _operator_engine(settings)
    try:
        created = grant_role(
            engine,
            actor=Actor.operator(),
            team_id=args.team_id,
            user_id=args.user_id,
            role=RoleName(args.role),
            region=args.region,
        )
    except ValueError as exc:
        print(f"pathfinder: {exc}", file=sys.stderr)
        return EXIT_USAGE
    where = f" for {canonical_region(args.region)}" if args.role == RoleName.COORDINATOR else ""
    who = printable(f"{args.team_id}:{args.user_id}")
    print(f"{'granted' if created else 'already held'}: {args.role}{where} to {who}")
    return 0


def _roles_remove(args: argparse.Namespace, settings: Settings) -> int:
    engine = _operator_engine(settings)
    removed = revoke_role(
        engine,
        actor=Actor.operator(),
        team_id=args.team_id,
        user_id=args.user_id,
        role=RoleName(args.role) if args.role else None,
        region=args.region,
    )
    print(f"removed {removed} role(s) from {printable(f'{args.team_id}:{args.user_id}')}")
    return 0 if removed else EXIT_INVALID


def _roles_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = list_roles(_operator_engine(settings), actor=Actor.operator())
    if not rows:
        print("no roles granted (pathfinder coordinators add TEAM USER --region REGION)")
    for r in rows:
        print(_line(f"{r.team_id}:{r.user_id}", r.role, r.region or "-",
                    f"granted by {printable(r.granted_by)} on {r.granted_at:%Y-%m-%d}"))  # fmt: skip
    return 0


def _line(*cells: object) -> str:
    """One tab-separated line whatever the cells hold: control characters become escapes."""
    return "\t".join(printable(c) for c in cells).rstrip()


def _interests(args: argparse.Namespace, settings: Settings) -> int:
    region = canonical_region(args.region)
    if region is None:
        print(
            f"pathfinder: unknown region '{printable(args.region)}'; one of: {', '.join(REGIONS)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    engine = _operator_engine(settings)
    total: int | None = None
    if args.export:
        rows = interest_log.export(engine, actor=Actor.operator(), region=region).rows
    else:
        found = interest_log.queue(
            engine, actor=Actor.operator(), region=region, programme=args.programme,
            status=args.status, limit=args.limit,
        )  # fmt: skip
        names = {p: interest_log.programme_name(engine, p) or p for p in found.programmes}
        rows = [interest_log.export_row(r, names) for r in found.rows]
        total = found.total
    if args.json:
        print(json.dumps(rows, indent=2))
    elif args.csv or args.export:
        sys.stdout.write(interest_log.to_csv(rows))
    else:
        print(f"{len(rows)} interest(s) in {region}")
        for r in rows:
            print(_line(f"#{r['id']}", r["status"], r["registered_at"], r["programme_id"],
                        r["display_name"], f"{r['profession']} {r['grade']}"))  # fmt: skip
    if total is not None and total > len(rows):
        print(f"pathfinder: showing the newest {len(rows)} of {total}; use --limit {total} for all",
              file=sys.stderr)  # fmt: skip
    return 0


def _audit_list(args: argparse.Namespace, settings: Settings) -> int:
    engine = _operator_engine(settings)
    since = datetime.now(UTC) - timedelta(days=args.days)
    found = read_audit(engine, actor=Actor.operator(), since=since, action=args.audit_action,
                       limit=None if args.all else args.limit, before=args.before)  # fmt: skip
    if args.json:
        print(json.dumps([e.model_dump(mode="json") for e in found], indent=2))
    elif args.csv:
        sys.stdout.write(audit_csv(found.entries))
    for e in [] if args.json or args.csv else found:
        change = f"{e.field}: {e.from_value or '-'} -> {e.to_value or '-'}" if e.field else "-"
        times = f" x{e.occurrences}" if e.occurrences > 1 else ""
        print(_line(f"{e.at:%Y-%m-%dT%H:%M:%SZ}", e.actor, e.action, f"about {e.subject}" if e.subject else "-",
                    e.region or "-", f"#{e.interest_id}" if e.interest_id else "-", change, e.row_count,
                    e.outcome + times, e.correlation_id))  # fmt: skip
    if found.truncated:
        print(f"pathfinder: showing the newest {len(found)} entries; more exist: "
              f"--before {found.next_before} for the next page, or --all", file=sys.stderr)  # fmt: skip
    return 0


def _retention_run(args: argparse.Namespace, settings: Settings) -> int:
    engine = _operator_engine(settings)
    counts = retention_run(engine, periods=retention_periods(settings))
    print("deleted: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
