"""Firm sanctions (重大负面事件, 管城回族区 附件2 六(二)2 and 六(二)3), as data a district switches on and tunes.

- models.py: the district's versioned SanctionPolicy, the recorded NegativeEvent with its evidence files, the
  FirmSanction it leads to (one per firm, district and year) and the StreetRunOrder register (one automatic
  rectification order per rating period and estate of a street-run firm at 1★ or below).
- services.py: record and withdraw events (each re-evaluates the firm's year), the credit record through the
  credit service, the policy versions.
- selectors.py: the reads the ratings app asks (sanctioned firms of a district's year, stale results before
  publication, the refusal of a star-rating application) and the status shown on the firm's page.
- orders.py: the street-run firms' rectification orders issued when a quarter is published.

Which periods a sanction changes: the periods of its year computed after it was recorded (the nightly job
recomputes provisional quarters; an announced quarter cannot be published until the district recomputes it,
ratings.services.periods.period_refusal). A published quarter is never rewritten: the district corrects a
result through the correction mechanism (ratings.services.corrections.rating_correct) if it wants to.
"""
