from celery import shared_task
from django.utils import timezone

from config.celery import IDEMPOTENT_JOB

from .credit.scores import credit_year_scheduled


@shared_task(name="enterprises.run_credit_year", **IDEMPOTENT_JOB)
def run_credit_year_task():
    """January: compute the year just ended (idempotent; a reviewed or published year is left alone)."""
    cy = credit_year_scheduled(today=timezone.localdate(), now=timezone.now())
    return cy.year if cy is not None else None
