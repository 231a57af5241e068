"""Writes of the complaints app (the service contract other modules call by these names).

Every function is keyword-only, runs in one transaction, takes `now` from its caller (a view, a task, a
command) and refuses with a `ValidationError` carrying a Chinese message. The transition table, who may
act and the refusals are in flow.py; the steps in intake.py and handling.py; the clocks in clocks.py;
marks (merge, repeated, major) in marks.py; notifications in notices.py (who is told of what is declared in
accounts.notices.HANDOFFS); the hourly job in overdue.py; attachments in attachments.py; the 12345 import in
the imports package.
"""
from .attachments import attachment_check, attachment_save
from .flow import TRANSITIONS, USER_ACTIONS, action_refusal, allowed_actions
from .handling import (
    complaint_answer,
    complaint_assign,
    complaint_callback,
    complaint_close,
    complaint_exclude,
    complaint_extend_decide,
    complaint_extend_request,
    complaint_reopen,
    complaint_return,
    complaint_sign,
    complaint_supervise,
    complaint_urge,
)
from .intake import complaint_dispatch, complaint_match, complaint_receive
from .marks import complaint_mark_major, complaint_merge, complaint_unmark_major, complaints_flag_repeated
from .overdue import complaints_mark_overdue
from .policy import ensure_default_policy, policy_on

__all__ = [
    "TRANSITIONS", "USER_ACTIONS", "action_refusal", "allowed_actions",
    "complaint_receive", "complaint_match", "complaint_dispatch", "complaint_assign", "complaint_sign",
    "complaint_return", "complaint_extend_request", "complaint_extend_decide", "complaint_answer",
    "complaint_callback", "complaint_close", "complaint_reopen", "complaint_urge", "complaint_supervise",
    "complaint_exclude", "complaint_merge", "complaint_mark_major", "complaint_unmark_major",
    "complaints_flag_repeated", "complaints_mark_overdue", "attachment_check", "attachment_save",
    "ensure_default_policy", "policy_on",
]
