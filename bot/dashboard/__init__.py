"""The therapist dashboard: escalation inbox, caseload, client pages, take-over, clinic.

A Starlette application (:func:`~bot.dashboard.app.create_app`) with Jinja2
templates and vendored htmx, served by uvicorn (``python -m bot.dashboard``,
started by ``wisemind run``). The modules split as the rest of ``bot/`` does:

- :mod:`.auth`, :mod:`.access`, :mod:`.queries`, :mod:`.charts`,
  :mod:`.demo_data`: plain Python on a database session;
- :mod:`.security` and :mod:`.web`: the HTTP side (cookies, CSRF, headers, the
  request's transaction and audit);
- :mod:`.app`, :mod:`.client_pages`, :mod:`.clinic_pages`: the pages, each
  change made through the same core functions the CLI uses.
"""
