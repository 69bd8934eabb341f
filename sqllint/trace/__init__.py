"""Runtime trace: what the application actually sent to the server (``sqllint trace``).

One job per module — ``model`` (the records), ``logfile`` (opening, decoding and recognising a log),
``general`` and ``slow`` (line-oriented state machines for the general and slow query logs of MySQL
5.7/8.0 and MariaDB 10.x), ``perfschema`` (``events_statements_summary_by_digest``), ``group`` (the
project's fingerprint, per-fingerprint statistics, per-connection windows), ``link`` (fingerprint →
source locations by static extraction), ``runner`` (the run: source → groups → trace rules → findings
→ EXPLAIN of the top statements) and ``render`` (text and JSON).

Logs are streamed line by line: memory grows with the number of distinct fingerprints and of
connections active within one window, not with the size of the log.
"""
