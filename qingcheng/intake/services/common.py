"""What the intake channels share: the subclass a report or an event names (问题小类), asked of the case
catalogue as `case_report` asks it (`cases.catalogue.category_subclass`)."""

from __future__ import annotations

from qingcheng.cases.catalogue import category_subclass

__all__ = ["category_subclass"]
