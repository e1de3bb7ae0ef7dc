"""Triage: priorities that explain themselves, and the cases analysts work on.

``facts`` holds the plain facts the rules test (one object per person or new series),
``gather`` reads them from the store in bulk, ``rules`` loads the editable rules file
(``rules.toml`` bundled, ``<workspace>/triage.toml`` when present), ``score`` applies the rules
to facts (pure: a level, a score, the reasons and the rules that fired) and ``cases`` keeps one
case per person or new series with its status, assignee, notes and history.
"""
