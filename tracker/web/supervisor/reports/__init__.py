"""Report builders for the supervisor's pages: data in (the scope, counters, lines), view
models out (tables, cards, charts), every label through gettext. No queries, no request: the
view fetches through ``tracker.services.dashboard`` and passes the links (``common.Links``)."""
