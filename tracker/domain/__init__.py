"""Pure business rules: no Flask, SQLAlchemy, Werkzeug or WTForms imports here.

Everything time-dependent takes the date/clock and the calendar as arguments, so every rule
is a table-driven test with no database.
"""
