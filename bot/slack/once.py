"""At most one reply per question on the durable queue, however often its job runs.

A job can run more than once: it is put back when its worker stops or is presumed dead, and an
operator may retry it. bot/jobs/queue.py lets one run at a time per question; each run first
asks whether the reply is already out:

1. The `answered:` claim: the reply was posted and recorded (the usual rerun). Nothing to do.
2. The `answering:` claim is taken by the first run only. A later run can't know whether the
   first got as far as posting (killed after Slack took the message, before recording it), so it
   asks Slack: every reply carries message metadata naming its question, which
   conversations.replies (or .history, for a DM outside a thread) returns. Found: record it and
   stop. If Slack can't say, the run raises and the job is retried later: never a blind post.
3. Otherwise answer, reply with the metadata, and record `answered:`.

The first run never reads Slack: conversations.* are Tier 3 methods (about 50 calls a minute).
"""

from __future__ import annotations

from bot.jobs.answers import AnswerRequest
from bot.memory.store import claim, claimed
from bot.services import Services
from bot.slack.listeners.messages import answer_request, question_of
from bot.slack.listeners.post import Metadata, Poster

MARK = "pathfinder_answer"


def marker(request: AnswerRequest) -> Metadata:
    """The metadata every reply to `request` carries: the question's Slack ids, nothing else."""
    return {"event_type": MARK, "event_payload": {"question": request.question_id}}


def answer_once(request: AnswerRequest, poster: Poster, services: Services) -> None:
    """Answer `request` unless an earlier run of its job already replied."""
    engine, question = services.engine, request.question_id
    if claimed(engine, f"answered:{question}"):
        return
    metadata = marker(request)
    rerun = not claim(engine, f"answering:{question}")
    reply_thread = question_of(request).reply_thread
    if rerun and poster.find(request.channel, thread_ts=reply_thread, oldest=request.ts, metadata=metadata):  # fmt: skip
        claim(engine, f"answered:{question}")
        return
    answer_request(request, poster, services, metadata=metadata)
    claim(engine, f"answered:{question}")
