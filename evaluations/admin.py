from django.contrib import admin

from .models import Answer, Campaign, Question, Response


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("district", "year", "opens_on", "closes_on", "status", "feeds_credit")
    list_filter = ("district", "status")
    inlines = [QuestionInline]


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("campaign", "evaluator_kind", "target_kind", "submitted_on", "on_paper", "entered_by")
    list_filter = ("campaign__district", "evaluator_kind", "target_kind", "on_paper")
    inlines = [AnswerInline]
