"""The operator console: server-rendered pages for the disclosure office, counsel and auditors.

Jinja2 templates with htmx (vendored, ``static/vendor/htmx.min.js``, htmx.org 2.0.11,
0BSD) and no front-end build step.  Every page works as plain HTML forms; htmx only
refreshes parts of a page.  Every view of confidential data is an inspection in the
ledger (R47); every action goes through the same accounting functions as the CLI.
"""
