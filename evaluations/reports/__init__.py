"""Publishable outputs (SPEC §9): one data builder per output, and two renderers that only lay it out.

A builder turns the database into rows, totals and flags; `pdf.render_pdf` (HTML → WeasyPrint) and the
openpyxl writers in `excel` never compute anything, so the PDF and the Excel of an output cannot disagree.
"""
