"""Who decides: the typed approver, the declared user and the account that ran pysnop
(docs/semantics.md, "Approvals you can audit").

Every decision has three names behind it:

typed      the approver cell of the Actions row (what a person wrote there);
declared   the deciding user the run declares: ``--user`` (or $PYSNOP_USER) on the command
           line, the Windows account in Excel's ribbon; None for a run that declares nobody
           (a scheduler);
account    the operating-system account that ran pysnop. It is recorded beside every
           decision; it is the only one of the three that pysnop does not take from a person.

The rules, in order:

1. With a declared user, a decision is theirs: an approver cell naming someone else (neither
   the declared name, nor the listed person whose account it is) is refused, naming both.
   A blank approver cell, or one naming the declared user, decides as the listed person the
   declared user is (by name, or by the Approvers ``account`` column).
2. Without one, the typed approver decides; a blank cell decides as the listed person whose
   name or account is the running account (else as the account itself, which no list holds).
3. The decider must be listed for the action's owner function.
4. Where the Approvers list gives the decider an ``account``, the decision counts only when
   pysnop runs under that account (compared case-insensitively, as Windows does).

Pure: no OS access; the caller passes the account in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class ApproverList(Protocol):
    """What :class:`pysnop.core.decisions.Approvers` offers here."""

    def allows(self, name: str | None, function: str | None) -> bool: ...

    def names(self, function: str | None = None) -> list[str]: ...

    def person(self, who: str | None) -> str | None: ...

    def account_of(self, name: str | None) -> str | None: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class Runner:
    """The account pysnop runs under and the deciding user the run declares (None: nobody)."""

    account: str
    declared: str | None = None


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and " ".join(a.split()).casefold() == \
        " ".join(b.split()).casefold()


def decide_as(approvers: ApproverList, typed: str | None, owner: str | None,
              runner: Runner | None, fallback: str) -> tuple[str, str | None]:
    """The decider of a status change and, when it may not stand, why (else None).

    ``typed``: the approver cell; ``owner``: the action's owner function; ``fallback``: the
    deciding user when no ``runner`` is given (then rules 1 and 4 do not apply).
    """
    if runner is None:  # as before accounts: the typed name as typed, else the user
        decider = typed or fallback
    elif runner.declared is not None:
        me = approvers.person(runner.declared)
        if typed is not None:
            them = approvers.person(typed)
            mine = _same(typed, runner.declared) or (me is not None and (_same(typed, me)
                                                                         or _same(them, me)))
            if not mine:
                return typed, (f"typed under {typed}, but the deciding user is "
                               f"{runner.declared}; a decision is recorded as the person who "
                               f"makes it: {typed} must decide it as themselves, or clear the "
                               f"approver cell")
        # as declared when that is a listed name; the listed name when it is an account
        decider = runner.declared if me is None or _same(me, runner.declared) else me
    else:
        decider = typed or approvers.person(runner.account) or runner.account
    if not approvers.allows(decider, owner):
        if not len(approvers):
            return decider, "no Approvers table (add an Approvers sheet with name and function)"
        listed = ", ".join(approvers.names(owner)) or "nobody"
        return decider, (f"{decider} is not listed as a {owner or '?'} approver "
                         f"(listed: {listed})")
    account = approvers.account_of(decider)
    if runner is not None and account is not None and not _same(account, runner.account):
        return decider, (f"{decider}'s decisions count only from the account {account} "
                         f"(Approvers account), and pysnop ran as {runner.account}")
    return decider, None


__all__ = ["ApproverList", "Runner", "decide_as"]
