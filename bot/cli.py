"""The `pathfinder` command line: ask, chat, catalogue check/load, eval."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.catalogue.loader import (
    CatalogueError,
    load_catalogue,
    overdue,
    read_catalogue,
    uncertain_facts,
)
from bot.catalogue.snapshot import CatalogueCache
from bot.catalogue.tables import CatalogueMeta
from bot.conversation import Conversation
from bot.db import create_schema, make_engine
from bot.evaluation import CaseFileError, format_report, read_cases, run_eval
from bot.service import Pathfinder
from bot.settings import Settings, SettingsError
from bot.wiring import build_responder

EXIT_INVALID = 1
EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `pathfinder` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except (SettingsError, ValidationError) as exc:
        print(f"pathfinder: configuration error: {_first_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.handler(args, settings))
    except CatalogueError as exc:
        print(f"pathfinder: {exc}", file=sys.stderr)
        return EXIT_INVALID
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
        "--http", action="store_true", help="HTTP mode: POST /slack/events, GET /healthz"
    )
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--host", default="0.0.0.0")
    serve.set_defaults(handler=_serve)

    catalogue = sub.add_parser("catalogue", help="check or load the catalogue in knowledge/")
    csub = catalogue.add_subparsers(dest="action")
    check = csub.add_parser(
        "check", help="validate the files; list overdue reviews and uncertain facts"
    )
    check.add_argument(
        "--today", type=date.fromisoformat, default=None, help="date to check review dates against"
    )
    check.set_defaults(handler=_catalogue_check)
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
    return parser


def ready_engine(settings: Settings) -> Engine:
    """The configured database, with the schema created and the catalogue loaded if absent."""
    engine = make_engine(settings.database_url)
    create_schema(engine)
    with Session(engine) as session:
        if session.get(CatalogueMeta, "version") is None:
            bundle = read_catalogue(settings.knowledge_dir)
            load_catalogue(bundle, session=session, use_geonames=settings.use_geonames)
    return engine


def _service(
    args: argparse.Namespace, settings: Settings, engine: Engine | None = None
) -> Pathfinder:
    today = getattr(args, "today", None)
    engine = engine or ready_engine(settings)
    responder = build_responder(settings)
    return Pathfinder(engine, today=(lambda: today) if today else date.today, responder=responder)


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
    from bot.app import create_app, http_server

    socket_mode = settings.slack_app_token is not None and not args.http
    try:
        settings.require_slack(socket_mode=socket_mode)
    except SettingsError as exc:
        print(f"pathfinder: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    engine = ready_engine(settings)
    app = create_app(settings, engine=engine, socket_mode=socket_mode)
    if socket_mode:
        from bot.app import socket_handler

        assert settings.slack_app_token is not None
        print("pathfinder: connected to Slack in Socket Mode; Ctrl-C to stop", file=sys.stderr)
        socket_handler(app, settings.slack_app_token.get_secret_value()).start()
        return 0
    server = http_server(app, engine, host=args.host, port=args.port)
    print(
        f"pathfinder: listening on http://{args.host}:{args.port}/slack/events (GET /healthz)",
        file=sys.stderr,
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
        app.close()
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
    unsure = uncertain_facts(bundle)
    print(f"facts marked uncertain ({len(unsure)}):")
    for pid, topic, why in unsure:
        print(f"  - {pid}.{topic}: {why}")
    unverified = [n.id for n in bundle.networks.networks if not n.verified]
    print(f"networks not verified ({len(unverified)}): {', '.join(unverified)}")
    return 0


def _catalogue_load(args: argparse.Namespace, settings: Settings) -> int:
    bundle = read_catalogue(settings.knowledge_dir)
    engine = make_engine(settings.database_url)
    create_schema(engine)
    with Session(engine) as session:
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


if __name__ == "__main__":
    sys.exit(main())
