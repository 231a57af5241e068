"""Firm credit (企业信用, DOMAIN.md §3): the rule catalogue, credit records, the yearly score, the blacklist.

- policy.py: the city's versioned catalogue (CreditPolicy + CreditRule) and its defaults.
- permissions.py: the recording units, who keeps and who decides, one refusal question per action.
- records.py: every write to a record: the automatic writer the other apps call (`credit_record_auto`),
  a recording unit's own record, confirm, objection and its decision, repair.
- scores.py: the yearly score (`credit_year_run`, the January job and `manage.py run_credit_year`) and its
  computed -> reviewed -> published lifecycle.
- blacklist.py: listing and delisting by rule, and the consequences (out of the public-benefit pool, the
  street offices warned); `blacklist_refusal` is what the contract service asks.
- selectors.py: the reads of the pages (credit file, queues, public pages).

A record's life (RECORD_TRANSITIONS in records.py, one CreditRecordEvent each):
  proposed  -> notified   written, and in the same transaction the firm is told (objection window opens:
                          N working days on the working-day calendar, the policy's objection_days)
  notified  -> confirmed  by the recording unit; a confirmed serious record lists the firm at once
  notified/confirmed -> withdrawn   the firm's objection upheld by the level above the recording unit
                          (or, before confirmation, the source itself withdrawn, e.g. a disqualification)
  confirmed -> repaired   credit repair decided with a reason: publication ends that day
"""
