"""The monitoring report to the district government (托育服务工作监测报告), kpis.md's last section.

Made only from the record: a replay as of a business time and a knowledge time (views/), the
snapshot of kpis.md built from it, and the audit chain's checkpoint at the replay's position
(audit/). It reads no clock and fetches nothing, so the same as-of and known-at give the same
bytes. basis.py reads the record; sections*.py turn it into the report's content; charts.py
draws the charts as inline SVG; render.py writes HTML (Jinja2) and PDF (WeasyPrint).
"""
